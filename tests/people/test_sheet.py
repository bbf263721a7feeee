"""Tests for flowpose.people.sheet: the contact sheet of the people followed."""

from __future__ import annotations

import cv2
import numpy as np

from flowpose.people.sheet import contact_sheet, write_contact_sheet
from flowpose.people.track import track_people
from tests.people.crossing import detections_of


def test_contact_sheet(crossing, tmp_path):
    detections = detections_of(crossing, seed=0, drop=0.0)
    tracks = track_people(detections)
    sheet = contact_sheet(crossing[0], tracks, panels=3, panel_height=120)
    assert sheet.shape == (120, 3 * 120, 3) and sheet.dtype == np.uint8
    write_contact_sheet(tmp_path / "people.png", sheet)
    assert cv2.imread(str(tmp_path / "people.png")).shape == sheet.shape
