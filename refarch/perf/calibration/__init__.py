"""Calibration: measurements, the fit and its file, and the reference's sanity checks."""
