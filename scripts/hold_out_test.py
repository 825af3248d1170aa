"""Rule hold_out_test: a train/valid-only view of a data set for the sweep jobs.

See evoaugflow.holdout: the view links to the train and valid splits only, and its test
keys alias the validation split, so no sweep job can read a test sequence or label.
"""

import sys

sys.stderr = sys.stdout = open(snakemake.log[0], "w", buffering=1)

from evoaugflow.holdout import write_train_valid_view

write_train_valid_view(snakemake.input.data, snakemake.output.view)
