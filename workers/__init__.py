"""arq workers: `default.py` (queue arq:default) and `ml.py` (queue arq:ml), run by `resilient.py`.

The engines they use (`engines/`) are the only code that imports deepface / dlib / rapidocr / cv2 / WeasyPrint.
"""
