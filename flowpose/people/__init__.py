"""People in a video: detections, tracks that never swap persons, choosing one, and a contact sheet."""
