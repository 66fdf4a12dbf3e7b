"""image-processor: deskew, page-outline unwarping and measured clean-up of scanned or photographed pages."""
