"""The workflows the command line runs, as functions: the CLI parses options and calls these.

- :mod:`~flowpose.app.inputs`: a video's pose file by name, the segment of frames, sanity checks.
- :mod:`~flowpose.app.outputs`: the results folder of a refinement (poses, history, report, overlay).
- :mod:`~flowpose.app.refine_video`: refine a video file into a results folder (``refine_smpl_video``: SMPL).
- :mod:`~flowpose.app.estimate_video`: initial poses of a video from MediaPipe.
- :mod:`~flowpose.app.import_file`: every ``flowpose import`` format (``import_keypoints``, ``import_smpl``).
- :mod:`~flowpose.app.batch`: many videos, resumably; :mod:`~flowpose.app.export`: BVH and AMASS files.
"""
