"""Plots, diagrams and control panels draw what they say, with titles and units."""

import ipywidgets
import numpy as np
import pytest

import scalelab
from scalelab import chapters
from scalelab.balancer import plots as balancer_plots
from scalelab.capacity import plots as capacity_plots
from scalelab.sim import OK, poisson
from scalelab.viz import architecture, diagrams, plots
from scalelab.viz.widgets import ControlPanel, slider


@pytest.fixture(scope="module")
def result() -> scalelab.SimResult:
    w = poisson(300, 30, 0.01, np.random.default_rng(1))
    return scalelab.simulate(
        w, scalelab.pool(4), scalelab.RoundRobin(), outages=[scalelab.Outage(1, 10, 20)]
    )


def _trace(result: scalelab.SimResult) -> list[tuple[float, int, int, float]]:
    """(arrival, server, status, latency) of every request: the raw trace the plots summarise."""
    return list(
        zip(
            result.workload.arrival.tolist(),
            result.server.tolist(),
            result.status.tolist(),
            result.latency.tolist(),
            strict=True,
        )
    )


def test_latency_plot_draws_what_the_trace_says(result: scalelab.SimResult) -> None:
    fig = plots.latency_over_time(result, window=2.0)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "latency (ms)"
    assert [line.get_label() for line in ax.get_lines()] == ["p50", "p99"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["p50", "p99", "target: under 700 ms", "failed requests (%)"], legend
    assert fig.axes[1].get_ylabel() == "failed requests (%)"
    # Each window's percentiles and failed share, counted request by request.
    windows = range(15)  # 30 s in windows of 2 s
    answered = {k: [] for k in windows}
    total, failed = dict.fromkeys(windows, 0), dict.fromkeys(windows, 0)
    for arrival, _, status, latency in _trace(result):
        k = int(arrival // 2.0)
        total[k] += 1
        if status == OK:
            answered[k].append(1000 * latency)
        else:
            failed[k] += 1
    for line, q in zip(ax.get_lines()[:2], [50, 99], strict=True):
        assert line.get_xdata().tolist() == [2.0 * k for k in windows]
        assert line.get_ydata() == pytest.approx([np.percentile(answered[k], q) for k in windows])
    [shade] = fig.axes[1].collections
    top = shade.get_paths()[0].vertices[:, 1]
    assert max(top) == pytest.approx(max(100 * failed[k] / total[k] for k in windows))
    assert 0 < max(top) < 100


def test_server_load_bars_count_the_trace(result: scalelab.SimResult) -> None:
    ax = plots.server_load(result).axes[0]
    sent = [bar.get_height() for bar in ax.containers[0]]
    answered = [bar.get_height() for bar in ax.containers[1]]
    trace = _trace(result)
    assert sent == [sum(1 for _, k, _, _ in trace if k == i) for i in range(4)]
    assert answered == [sum(1 for _, k, s, _ in trace if k == i and s == OK) for i in range(4)]
    assert answered[1] < sent[1] == pytest.approx(len(trace) / 4, abs=1)  # refused while down


def test_hockey_stick_is_log_scaled() -> None:
    rho = np.array([0.1, 0.5, 0.9])
    fig = capacity_plots.hockey_stick(rho, {50: rho, 99: 2 * rho}, theory=rho)
    assert fig.axes[0].get_yscale() == "log"
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == [
        "simulated p50",
        "simulated p99",
        "theory: mean = cpu / (1 − ρ)",
        "limit: 1 s",
    ]


def test_diagram_marks_a_dead_server() -> None:
    fig = architecture.load_balanced(3, down=frozenset({1}))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[0] == "users" and "web-2\n10.0.0.12\n(down)" in texts
    with pytest.raises(ValueError, match="kind must be one of"):
        diagrams.Node("robot", "r2d2")


def test_the_balancer_picture_shows_the_public_address_and_the_private_network() -> None:
    ax = architecture.picture("load-balancer", n_servers=4).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert f"load\nbalancer\n{architecture.PUBLIC_IP}" in texts
    assert f"private network {architecture.PRIVATE_NET}" in texts
    # Explicit edges: users → balancer, balancer → each server; never users → a server.
    assert len([c for c in ax.get_children() if type(c).__name__ == "Annotation"]) == 1 + 4


def test_diagram_edges_and_zones_must_name_its_nodes() -> None:
    nodes = [[diagrams.Node("user", "users")], [diagrams.Node("server", "web")]]
    with pytest.raises(ValueError, match="must name nodes of the diagram .*, got \\['db'\\]"):
        diagrams.draw(nodes, edges=[("users", "db")])
    with pytest.raises(ValueError, match="step must be one of"):
        architecture.picture("moon-base")


def test_slider_type_follows_its_bounds() -> None:
    assert isinstance(slider("servers", 1, 8, 1, 4), ipywidgets.IntSlider)
    assert isinstance(slider("rate", 0.1, 2.0, 0.1, 1.0), ipywidgets.FloatSlider)


def test_control_panel_redraws_when_a_slider_moves() -> None:
    calls = []

    def draw(servers: int):
        calls.append(servers)
        return architecture.load_balanced(servers)

    panel = ControlPanel(draw, servers=slider("servers", 1, 8, 1, 2))
    panel.controls["servers"].value = 5
    assert calls == [2, 5]
    assert panel.values() == {"servers": 5}


def test_p99_by_strategy_groups_bars_per_pool() -> None:
    p99 = {
        (pool, name): 0.1 * (i + 1)
        for i, (pool, name) in enumerate(
            [("equal", "rr"), ("equal", "lc"), ("slow", "rr"), ("slow", "lc")]
        )
    }
    ax = balancer_plots.p99_by_strategy(p99).axes[0]
    assert [b.get_height() for b in ax.containers[0]] == pytest.approx([100, 200])
    assert [b.get_height() for b in ax.containers[1]] == pytest.approx([300, 400])
    assert ax.get_yscale() == "log" and "p99 latency (ms" in ax.get_ylabel()


def _target_patch(ax) -> tuple[float, float]:
    spans = [p for p in ax.patches if p.get_label().startswith("target")]
    assert len(spans) == 1, f"expected one target band, got {[p.get_label() for p in ax.patches]}"
    ys = spans[0].get_path().transformed(spans[0].get_patch_transform()).vertices[:, 1]
    return float(ys.min()), float(ys.max())


def test_faster_is_never_off_target(result: scalelab.SimResult) -> None:
    figures = [
        plots.latency_over_time(result),
        capacity_plots.hockey_stick(np.array([0.1, 0.5]), {99: np.array([0.01, 0.05])}),
        balancer_plots.p99_by_strategy({("pool", "a"): 0.02, ("pool", "b"): 3.0}),
    ]
    for fig in figures:
        ax = fig.axes[0]
        assert _target_patch(ax) == (0.0, 700.0), "expected the target band to run from 0 to 700 ms"
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "target: under 700 ms" in labels, labels
        assert ax.get_ylim()[1] >= 700, "expected the axis to show the whole target band"
        # The 1 s limit is drawn, and named, only where the axis reaches it.
        assert ("limit: 1 s" in labels) == (ax.get_ylim()[1] >= 1000), (labels, ax.get_ylim())


def test_the_load_legend_hides_no_bar_and_no_tick_label(result: scalelab.SimResult) -> None:
    fig = plots.dashboard(result)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = next(a for a in fig.axes if a.get_title() == "Load per server")
    legend = ax.get_legend().get_window_extent(renderer)
    labels = [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
    covered = [t.get_text() for t in labels if legend.overlaps(t.get_window_extent(renderer))]
    assert labels and not covered, f"expected the load legend clear of tick labels, got {covered}"
    assert not legend.overlaps(ax.get_window_extent(renderer)), (
        "expected the load legend outside the plot area, where it hides no bar"
    )


@pytest.mark.parametrize(
    "chapter, make",
    [(c, m) for c, ms in chapters.panels().items() for m in ms],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_every_library_panel_draws_and_redraws(chapter: str, make) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(InteractiveShell.instance(), {"png"})  # as the inline backend does
    panel = make()
    assert isinstance(panel, ControlPanel)
    first = panel.output.outputs[0]["data"]["image/png"]
    name, control = next((n, c) for n, c in panel.controls.items() if hasattr(c, "max"))
    control.value = control.max
    assert panel.output.outputs[0]["data"]["image/png"] != first, (
        f"{chapter}: expected a new picture after {name} moved to {control.max}"
    )


def test_chapter_05_figure_and_panel_start_from_the_same_settings() -> None:
    from scalelab.balancer import panel

    assert panel.panel().values() == panel.DEFAULTS


def test_the_latency_legend_hides_no_data(result: scalelab.SimResult) -> None:
    fig = plots.latency_over_time(result)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = fig.axes[0].get_legend().get_window_extent(renderer)
    assert not legend.overlaps(fig.axes[0].get_window_extent(renderer)), (
        "expected the latency legend outside the plot area"
    )


def test_a_windowed_run_is_plotted_over_its_own_window(result: scalelab.SimResult) -> None:
    part = result.between(10, 20)
    twin = plots.latency_over_time(part, window=2).axes[1]
    area = twin.collections[0].get_paths()[0].vertices[:, 0]
    assert (area.min(), area.max()) == (10.0, 20.0), "expected the failure share drawn over 10-20 s"
