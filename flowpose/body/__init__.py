"""Body models: SMPL given by the user (loaded with smplx), a stand-in for tests, and refinement of SMPL sequences."""
