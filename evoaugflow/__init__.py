"""EvoAugFlow: evolution-inspired data augmentation for genomic deep neural networks."""

__version__ = "0.1.0"
