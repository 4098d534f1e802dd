"""The benchmark: `python -m bench` (make bench). See bench/README.md."""
