"""The three convolutional networks of the EvoAug paper, built from one configurable class.

Every architecture is a stack of convolution blocks (conv, batch norm, max pool, ReLU,
optional dropout) followed by fully connected blocks (linear, batch norm, ReLU,
dropout) and a linear output layer. Design choices shared by all three:

- Convolutions use ``"same"`` padding (stride 1), as in the EvoAug analysis scripts, so
  each block shortens the sequence only through its max pool (floor division).
- Layers followed by batch norm carry no bias: the batch-norm shift makes it redundant.
  Only the output layer has a bias.
- In a convolution block with dropout (chip) the dropout follows the max pool, as in
  the EvoAug analysis code. The paper's text lists dropout before the pool, but the
  maximum over dropout-scaled activations is larger in training than in evaluation, a
  shift that the next batch norm absorbs only in training mode: on REST, five epochs
  reached a validation loss of 0.514 with the pool first and 0.586 with dropout first.
- The max pool comes before the ReLU. Both are monotone, so ``relu(max(x))`` equals
  ``max(relu(x))`` bit for bit and so do the gradients (a window whose maximum is not
  positive passes none either way); the ReLU then touches a pool-size fraction of the
  activations. The pool is :class:`WindowMaxPool1d`, a reshape and a maximum with the
  same values and gradients as ``nn.MaxPool1d``. Together they train about 10 % faster
  on one CPU thread with the same numbers (``benchmarks/conv_block.py``).
- Initial weights are PyTorch's defaults (He initialisation of the convolutions was
  tried on REST and did not lower the validation loss).
- ``forward`` returns raw outputs (logits for classifiers, values for regressors); the
  sigmoid is applied by :func:`evoaugflow.train.predict`.
- The width of the first fully connected layer is computed from ``input_length``, so a
  model for augmented training is built with ``input_length = L + insert_max``.

Any other ``torch.nn.Module`` that maps ``(N, 4, L)`` to ``(N, T)`` trains too:
:func:`build_model` builds a paper model by name or a user model from its class path
``package.module:Class``, :func:`model_spec` is the record ``model.pt`` keeps and
:func:`rebuild_model` turns back into a model, :func:`check_model` checks the input
length and task count (by ``config``, or one probe forward pass), and
:func:`reset_model` draws a fresh run's weights from the seed.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re

import torch
from torch import nn

MODEL_NAMES = ("basset", "deepstarr", "chip")
TASKS = ("binary", "regression")
#: Sequences per forward pass when a trained model only predicts (evaluation, variant
#: scoring, filter activations, attribution): every predicting function defaults to it.
PREDICT_BATCH_SIZE = 256

# Paper sizes (REFERENCE.md section 3). ``conv_dropout`` is the dropout inside each
# convolution block, applied after the max pool; ``dropout`` is the dropout of the fully
# connected blocks.
_PRESETS = {
    "basset": {
        "conv_channels": (300, 200, 200),
        "conv_widths": (19, 11, 7),
        "pool_sizes": (3, 4, 2),
        "conv_dropout": 0.0,
        "fc_units": (1000, 1000),
        "dropout": 0.3,
        "task": "binary",
    },
    "deepstarr": {
        "conv_channels": (256, 60, 60, 120),
        "conv_widths": (7, 3, 5, 3),
        "pool_sizes": (2, 2, 2, 2),
        "conv_dropout": 0.0,
        "fc_units": (256, 256),
        "dropout": 0.4,
        "task": "regression",
    },
    "chip": {
        "conv_channels": (64, 96, 128),
        "conv_widths": (7, 5, 5),
        "pool_sizes": (4, 4, 2),
        "conv_dropout": 0.2,
        "fc_units": (256,),
        "dropout": 0.5,
        "task": "binary",
    },
}


def _int_tuple(name: str, value, model_name: str) -> tuple[int, ...]:
    """Return ``value`` as a non-empty tuple of positive ints or raise ValueError."""
    values = (value,) if isinstance(value, int) else tuple(value)
    if not values or any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in values):
        raise ValueError(
            f"{name}={value!r} for model {model_name!r}: expected a non-empty list of "
            "positive integers"
        )
    return values


def _probability(name: str, value, model_name: str) -> float:
    """Return ``value`` as a float in [0, 1) or raise ValueError."""
    if not isinstance(value, int | float) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name}={value!r} for model {model_name!r}: expected a number in [0, 1)")
    return float(value)


class WindowMaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d(kernel_size)`` over non-overlapping windows, as a reshape and a max.

    The same output (the last ``L % kernel_size`` positions are dropped, as by the
    floor-mode pool) and the same gradient: each window's gradient goes to its first
    maximal position, as ``torch.max`` and the pool both pick it. On the CPU it is
    faster than ``max_pool1d`` (``benchmarks/conv_block.py``).
    """

    def __init__(self, kernel_size: int):
        super().__init__(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = self.kernel_size
        windows = x.shape[-1] // width
        return x[..., : windows * width].unflatten(-1, (windows, width)).max(-1).values


class GenomicCNN(nn.Module):
    """Convolution blocks, fully connected blocks and a linear output layer.

    Build it through :func:`get_model`; the arguments are documented there.

    Attributes
    ----------
    config : dict
        ``name``, ``input_length``, ``n_tasks`` and every layer setting, such that
        ``get_model(**model.config)`` rebuilds the same architecture.
    task : str
        ``"binary"`` (outputs are logits) or ``"regression"`` (outputs are values).
    first_conv : torch.nn.Conv1d
        The first convolution (its filters are the ones interpreted as motifs).
    conv_blocks : torch.nn.ModuleList
        One ``nn.Sequential`` per convolution block.
    fc_blocks : torch.nn.Sequential
        Flatten, the fully connected blocks and the output layer.
    """

    def __init__(
        self,
        name: str,
        input_length: int,
        n_tasks: int,
        *,
        conv_channels,
        conv_widths,
        pool_sizes,
        conv_dropout: float,
        fc_units,
        dropout: float,
        task: str,
    ):
        super().__init__()
        self.config = {
            "name": name,
            "input_length": input_length,
            "n_tasks": n_tasks,
            "conv_channels": list(conv_channels),
            "conv_widths": list(conv_widths),
            "pool_sizes": list(pool_sizes),
            "conv_dropout": conv_dropout,
            "fc_units": list(fc_units),
            "dropout": dropout,
            "task": task,
        }
        self.task = task

        blocks = []
        in_channels, length = 4, input_length
        for out_channels, width, pool in zip(conv_channels, conv_widths, pool_sizes, strict=True):
            layers = [
                nn.Conv1d(in_channels, out_channels, width, padding="same", bias=False),
                nn.BatchNorm1d(out_channels),
                WindowMaxPool1d(pool),
                nn.ReLU(),
            ]
            if conv_dropout > 0:
                layers.append(nn.Dropout(conv_dropout))
            blocks.append(nn.Sequential(*layers))
            in_channels, length = out_channels, length // pool
        self.conv_blocks = nn.ModuleList(blocks)
        self.first_conv = blocks[0][0]

        # The flattened width depends on the input length: L + insert_max with insertion.
        flat_width = in_channels * length
        fc_layers: list[nn.Module] = [nn.Flatten()]
        for units in fc_units:
            fc_layers += [
                nn.Linear(flat_width, units, bias=False),
                nn.BatchNorm1d(units),
                nn.ReLU(),
                nn.Dropout(dropout),
            ]
            flat_width = units
        fc_layers.append(nn.Linear(flat_width, n_tasks))
        self.fc_blocks = nn.Sequential(*fc_layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (PyTorch's default initialisation) from the global torch RNG.

        Batch-norm running statistics are reset too.
        """
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw outputs.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, input_length)
            One-hot sequences.

        Returns
        -------
        torch.Tensor, shape=(N, n_tasks)
            Logits (``task="binary"``) or predicted values (``task="regression"``).
        """
        for block in self.conv_blocks:
            x = block(x)
        return self.fc_blocks(x)

    def first_layer(self, x: torch.Tensor) -> torch.Tensor:
        """First-layer activations after convolution, batch norm and ReLU.

        Parameters
        ----------
        x : torch.Tensor, shape=(N, 4, L)
            One-hot sequences (any length; the convolution keeps it).

        Returns
        -------
        torch.Tensor, shape=(N, conv_channels[0], L)
            Activations before dropout and max pooling.
        """
        conv, batch_norm = self.conv_blocks[0][:2]
        return torch.relu(batch_norm(conv(x)))


def get_model(name: str, input_length: int, n_tasks: int, **kwargs) -> GenomicCNN:
    """Build one of the paper's architectures.

    Parameters
    ----------
    name : {"basset", "deepstarr", "chip"}
        Architecture (REFERENCE.md section 3).
    input_length : int
        Length of the model input: the sequence length L, or L + insert_max when the
        augmentation list contains insertion.
    n_tasks : int
        Number of outputs.
    **kwargs
        Layer settings; each defaults to the paper's value for ``name``:

        - ``conv_channels`` : list of int, filters per convolution block
          (basset 300, 200, 200; deepstarr 256, 60, 60, 120; chip 64, 96, 128).
        - ``conv_widths`` : list of int, kernel widths, one per block
          (basset 19, 11, 7; deepstarr 7, 3, 5, 3; chip 7, 5, 5).
        - ``pool_sizes`` : list of int, max-pool sizes, one per block
          (basset 3, 4, 2; deepstarr 2, 2, 2, 2; chip 4, 4, 2).
        - ``conv_dropout`` : float in [0, 1), dropout inside each convolution block
          (chip 0.2, others 0).
        - ``fc_units`` : list of int, widths of the hidden fully connected layers
          (basset 1000, 1000; deepstarr 256, 256; chip 256).
        - ``dropout`` : float in [0, 1), dropout of the fully connected blocks
          (basset 0.3, deepstarr 0.4, chip 0.5).
        - ``task`` : {"binary", "regression"}, what the outputs mean
          (basset and chip "binary", deepstarr "regression").

    Returns
    -------
    GenomicCNN
        A model whose ``config`` rebuilds it through ``get_model(**model.config)``.

    Raises
    ------
    ValueError
        For an unknown name or keyword, a bad size, or an input too short for the pools.
    """
    if name not in _PRESETS:
        raise ValueError(f"model name {name!r} is unknown: choose one of {', '.join(MODEL_NAMES)}")
    unknown = sorted(set(kwargs) - set(_PRESETS[name]))
    if unknown:
        raise ValueError(
            f"get_model({name!r}) got unknown keyword(s) {unknown}: allowed are "
            f"{', '.join(sorted(_PRESETS[name]))}"
        )
    for arg, value in (("input_length", input_length), ("n_tasks", n_tasks)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{arg}={value!r} for model {name!r}: expected a positive integer")
    settings = {**_PRESETS[name], **kwargs}
    conv_channels = _int_tuple("conv_channels", settings["conv_channels"], name)
    conv_widths = _int_tuple("conv_widths", settings["conv_widths"], name)
    pool_sizes = _int_tuple("pool_sizes", settings["pool_sizes"], name)
    fc_units = _int_tuple("fc_units", settings["fc_units"], name) if settings["fc_units"] else ()
    if not len(conv_channels) == len(conv_widths) == len(pool_sizes):
        raise ValueError(
            f"model {name!r}: conv_channels, conv_widths and pool_sizes must have one entry "
            f"per block, got {len(conv_channels)}, {len(conv_widths)} and {len(pool_sizes)}"
        )
    # Floor division at every pool leaves at least one position iff L >= prod(pools).
    if input_length < math.prod(pool_sizes):
        raise ValueError(
            f"input_length={input_length} is too short for model {name!r}: its max pools "
            f"{list(pool_sizes)} need at least {math.prod(pool_sizes)} positions"
        )
    if settings["task"] not in TASKS:
        raise ValueError(f"task={settings['task']!r} for model {name!r}: choose one of {TASKS}")
    return GenomicCNN(
        name,
        input_length,
        n_tasks,
        conv_channels=conv_channels,
        conv_widths=conv_widths,
        pool_sizes=pool_sizes,
        conv_dropout=_probability("conv_dropout", settings["conv_dropout"], name),
        fc_units=fc_units,
        dropout=_probability("dropout", settings["dropout"], name),
        task=settings["task"],
    )


# ---------------------------------------------------------------------------------------
# any model: build from a name or an importable class, record, re-initialise, check
# ---------------------------------------------------------------------------------------

#: What a user model class looks like in a config: ``package.module:Class``.
MODEL_CLASS_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
# Arguments that build_model passes to a user class itself when its signature names them.
_SHAPE_ARGUMENTS = ("input_length", "n_tasks")
# Attribute of a model built by build_model from a class path: the record that rebuilds it.
SPEC_ATTRIBUTE = "evoaugflow_spec"


def import_model_class(class_path: str) -> type[nn.Module]:
    """Import the ``torch.nn.Module`` subclass named by ``package.module:Class``.

    Raises
    ------
    ValueError
        When the path does not have that form, the module does not import, it has no
        such attribute, or the attribute is not an ``nn.Module`` subclass.
    """
    if not isinstance(class_path, str) or not re.match(MODEL_CLASS_PATTERN, class_path):
        raise ValueError(
            f"model {class_path!r} is neither one of {', '.join(MODEL_NAMES)} nor an "
            "importable class written as 'package.module:Class'"
        )
    module_name, class_name = class_path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(
            f"model {class_path!r}: module {module_name!r} does not import ({error}); put "
            "it on PYTHONPATH or install its package"
        ) from error
    model_class = getattr(module, class_name, None)
    if not (isinstance(model_class, type) and issubclass(model_class, nn.Module)):
        raise ValueError(
            f"model {class_path!r}: {module_name} has no torch.nn.Module subclass named "
            f"{class_name!r}"
        )
    return model_class


def _class_arguments(model_class, class_path: str, input_length, n_tasks, kwargs) -> dict:
    """Keyword arguments for ``model_class``: ``kwargs`` plus the shape arguments it names.

    Raises ValueError, naming the class, when they do not fit its signature.
    """
    parameters = inspect.signature(model_class).parameters
    clash = sorted(set(kwargs) & set(_SHAPE_ARGUMENTS))
    if clash:
        raise ValueError(
            f"model_kwargs of {class_path!r} set {clash}: these come from the data and the "
            "augmentation; leave them out"
        )
    shapes = {"input_length": input_length, "n_tasks": n_tasks}
    arguments = {k: v for k, v in shapes.items() if k in parameters}
    arguments.update(kwargs)
    try:
        inspect.signature(model_class).bind(**arguments)
    except TypeError as error:
        accepted = [name for name in parameters if name not in _SHAPE_ARGUMENTS]
        raise ValueError(
            f"model_kwargs {sorted(kwargs)} do not fit {class_path}{inspect.signature(model_class)}"
            f" ({error}); it accepts {accepted} (input_length and n_tasks are passed by "
            "evoaugflow where the class names them)"
        ) from error
    return arguments


def check_model_kwargs(model: str, kwargs: dict) -> None:
    """Check, without building anything, that ``kwargs`` fit ``model``.

    Parameters
    ----------
    model : str
        One of `MODEL_NAMES` or ``package.module:Class``.
    kwargs : dict
        The keyword arguments the model will be built with.

    Raises
    ------
    ValueError
        For an unknown name, a class that does not import, or keywords that the
        preset or the class signature does not accept.
    """
    if model in _PRESETS:
        unknown = sorted(set(kwargs) - set(_PRESETS[model]))
        if unknown:
            raise ValueError(
                f"model_kwargs {unknown} are not settings of {model!r}: allowed are "
                f"{', '.join(sorted(_PRESETS[model]))}"
            )
        return
    _class_arguments(import_model_class(model), model, 1, 1, dict(kwargs))


def build_model(
    model: str, input_length: int, n_tasks: int, task: str | None = None, **kwargs
) -> nn.Module:
    """Build a paper model by name or a user model from its class path.

    Parameters
    ----------
    model : str
        One of `MODEL_NAMES` (then this is :func:`get_model`), or ``package.module:Class``
        naming a ``torch.nn.Module`` subclass whose instances map ``(N, 4, input_length)``
        to ``(N, n_tasks)``.
    input_length : int
        Model input length (L, or L + insert_max with insertion). Passed to a class
        whose ``__init__`` has an ``input_length`` parameter.
    n_tasks : int
        Number of outputs; passed to a class whose ``__init__`` has ``n_tasks``.
    task : {"binary", "regression"}, optional
        What the outputs mean, for a paper model (default None: the preset's). A user
        model's task is the caller's business (``train_stage(task=...)``).
    **kwargs
        Layer settings of a paper model, or the class's other keyword arguments.

    Returns
    -------
    torch.nn.Module
        A user model carries ``evoaugflow_spec`` (``class``, ``kwargs``,
        ``input_length``, ``n_tasks``), which :func:`rebuild_model` turns back into it.
    """
    if model in _PRESETS:
        return get_model(model, input_length, n_tasks, **kwargs, **({"task": task} if task else {}))
    for arg, value in (("input_length", input_length), ("n_tasks", n_tasks)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{arg}={value!r} for model {model!r}: expected a positive integer")
    model_class = import_model_class(model)
    instance = model_class(**_class_arguments(model_class, model, input_length, n_tasks, kwargs))
    spec = {
        "class": model,
        "kwargs": dict(kwargs),
        "input_length": input_length,
        "n_tasks": n_tasks,
    }
    setattr(instance, SPEC_ATTRIBUTE, spec)
    return instance


def rebuild_model(spec: dict) -> nn.Module:
    """Build the architecture a model record describes (weights freshly initialised).

    Parameters
    ----------
    spec : dict
        A ``GenomicCNN.config``, or a user model's record from :func:`model_spec`.

    Raises
    ------
    ValueError
        For a record of a user model given to ``train_stage`` without a class path
        and arguments (``kwargs`` None): that one needs the caller's instance.
    """
    if "class" not in spec:
        return get_model(**spec)
    if spec.get("kwargs") is None:
        raise ValueError(
            f"the record names class {spec['class']!r} but not its arguments (the model was "
            "not built with evoaugflow.models.build_model): pass an instance, e.g. "
            "load_model(path, model=YourClass(...))"
        )
    return build_model(spec["class"], spec["input_length"], spec["n_tasks"], **spec["kwargs"])


def model_spec(model: nn.Module, input_length: int, n_tasks: int) -> dict:
    """The record of ``model`` that ``model.pt`` keeps as ``model_config``.

    Parameters
    ----------
    model : torch.nn.Module
        A paper model (its ``config``), a model from :func:`build_model`, or any other
        module (its class path with ``kwargs`` None: not rebuildable by itself).
    input_length, n_tasks : int
        The input length and task count the model is trained on.

    Returns
    -------
    dict
        ``GenomicCNN.config``, or ``class``, ``kwargs``, ``input_length``, ``n_tasks``.
    """
    if isinstance(model, GenomicCNN):
        return model.config
    spec = getattr(model, SPEC_ATTRIBUTE, None)
    if spec is not None:
        return spec
    model_class = type(model)
    return {
        "class": f"{model_class.__module__}:{model_class.__qualname__}",
        "kwargs": None,
        "input_length": input_length,
        "n_tasks": n_tasks,
    }


def model_input_length(model: nn.Module) -> int | None:
    """Input length a model was built or trained for, None where nothing records it."""
    record = getattr(model, "config", None)
    if not isinstance(record, dict):
        record = getattr(model, SPEC_ATTRIBUTE, None) or {}
    return record.get("input_length")


def check_model(model: nn.Module, input_length: int, n_tasks: int) -> dict:
    """Check that ``model`` maps ``(N, 4, input_length)`` to ``(N, n_tasks)``; its record.

    A paper model is checked through its ``config``; any other model (and a user model
    whose record names other sizes) by one forward pass of two all-zero sequences in
    evaluation mode, without gradients, on the device of its parameters. Its mode is
    restored.

    Returns
    -------
    dict
        :func:`model_spec` of the model.

    Raises
    ------
    ValueError
        Naming the size to build the model with.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    spec = model_spec(model, input_length, n_tasks)
    if spec.get("input_length") != input_length:
        raise ValueError(
            f"the model was built for input_length={spec['input_length']} but the data with "
            f"this augmenter give inputs of length {input_length}: build the model with "
            f"input_length={input_length}"
        )
    if spec.get("n_tasks") != n_tasks:
        raise ValueError(
            f"model has n_tasks={spec['n_tasks']} but the data have {n_tasks} tasks: build "
            "the model with the data's n_tasks"
        )
    if isinstance(model, GenomicCNN):
        return spec
    parameter = next(iter(model.parameters()), None)
    device = "cpu" if parameter is None else parameter.device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.zeros(2, 4, input_length, device=device))
    except Exception as error:
        raise ValueError(
            f"the model failed on a (2, 4, {input_length}) batch ({type(error).__name__}: "
            f"{error}); it must map one-hot (N, 4, {input_length}) to (N, {n_tasks})"
        ) from error
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, n_tasks):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"the model maps a (2, 4, {input_length}) batch to {shape}; it must return "
            f"(N, n_tasks) = (2, {n_tasks}) raw outputs (logits or values)"
        )
    return spec


def reset_model(model: nn.Module) -> None:
    """Draw fresh weights for every parameter from the global torch RNG.

    A model with its own ``reset_parameters`` (the paper models) is reset by it; any
    other model by calling ``reset_parameters()`` (or ``_reset_parameters()``, which
    ``nn.MultiheadAttention`` has instead) on each submodule that has one, in
    ``model.modules()`` order. Called after ``torch.manual_seed(seed)``, this makes the
    starting weights a function of the seed alone.

    Raises
    ------
    ValueError
        When a submodule holds parameters but has no reset method: its starting values
        would depend on how the caller built it, not on the seed.
    """
    if callable(getattr(model, "reset_parameters", None)):
        model.reset_parameters()
        return
    resets, stuck = [], []
    for name, module in model.named_modules():
        reset = getattr(module, "reset_parameters", None) or getattr(
            module, "_reset_parameters", None
        )
        if callable(reset):
            resets.append(reset)
        elif any(True for _ in module.parameters(recurse=False)):
            stuck.append(f"{name or '(model)'} ({type(module).__name__})")
    if stuck:
        raise ValueError(
            f"parameters of {', '.join(stuck)} have no reset_parameters(): define one on "
            "that module (or on the model) so that the seed sets every starting weight"
        )
    for reset in resets:
        reset()
