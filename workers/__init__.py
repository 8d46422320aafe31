"""arq workers: the only code that imports deepface / dlib / rapidocr / cv2."""
