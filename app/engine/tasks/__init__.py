"""Engine tasks: generator functions that yield progress and return results."""
