"""Synthetic demo platforms, generated deterministically from a seed, with their ground truth."""
