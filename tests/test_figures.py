"""The shared figure style: the same figure gives the same file bytes at any time (no build date inside)."""

import io
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from malstyring.book.figures import use_book_style  # noqa: E402


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_figure_bytes_do_not_depend_on_the_time_of_the_build(fmt):
    use_book_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0.4, 0.6], label="share")
    ax.legend()
    first = io.BytesIO()
    fig.savefig(first, format=fmt)
    time.sleep(1.1)  # PDF and SVG dates have one-second resolution
    second = io.BytesIO()
    fig.savefig(second, format=fmt)
    plt.close(fig)
    assert first.getvalue() == second.getvalue()
