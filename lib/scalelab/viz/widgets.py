"""Control panels: sliders that re-simulate and re-plot, with plain ipywidgets and matplotlib.

No frontend extension beyond what JupyterLab 4 ships with ipywidgets 8 is needed. Sliders update when
released (``continuous_update=False``), so dragging never queues up a backlog of simulations.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.figure import Figure

_LAYOUT = {"description_width": "160px"}


def slider(
    description: str, low: float, high: float, step: float, value: float
) -> widgets.ValueWidget:
    """An integer slider when every bound is an integer, a float slider otherwise."""
    numbers = (low, high, step, value)
    kind = widgets.IntSlider if all(isinstance(v, int) for v in numbers) else widgets.FloatSlider
    return kind(
        description=description,
        min=low,
        max=high,
        step=step,
        value=value,
        continuous_update=False,
        style=_LAYOUT,
        layout=widgets.Layout(width="420px"),
    )


class ControlPanel(widgets.VBox):
    """Controls above a figure; changing any control calls ``draw(**values)`` and shows the new figure.

    Parameters
    ----------
    draw : callable
        Takes the controls' values as keyword arguments and returns a matplotlib Figure.
    **controls : ipywidgets widget
        One widget per keyword argument of ``draw``.
    """

    def __init__(self, draw: Callable[..., Figure], **controls: widgets.ValueWidget) -> None:
        self._draw = draw
        self.controls = controls
        self.output = widgets.Output()
        super().__init__([widgets.VBox(list(controls.values())), self.output])
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict[str, object]:
        """The controls' current values, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def figure(self) -> Figure:
        """Run ``draw`` with the current values and return its figure (without showing it)."""
        return self._draw(**self.values())

    def refresh(self) -> None:
        """Re-simulate and re-plot into the panel's output area.

        The figure is rendered here and set as the Output widget's contents, rather than captured
        with ``with output: display(fig)``: capturing makes a headless runner (nbclient, nbval)
        imitate a browser, which can stall it or fail when widget state is not stored.
        """
        fig = self.figure()
        data, metadata = InteractiveShell.instance().display_formatter.format(fig)
        plt.close(fig)
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)

    def _on_change(self, _change: dict) -> None:
        self.refresh()
