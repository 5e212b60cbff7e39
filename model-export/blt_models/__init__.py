"""BLT and its entropy model: definitions, training, ONNX export and golden fixtures."""
