"""Cameras: frames through OpenCV (V4L2 on a kiosk, files in tests), QR codes via zxing-cpp."""
