"""The pure parts of `make bench`: reading wrk's figures, targets that go either way, the table.

The benchmarks themselves run in `make bench`, never in the test suite; the one wrk run here
(against a stub server, a second long) only checks that the generated script works.
"""

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.urls import Resolver404, resolve

from bench import selfservice
from bench.common import print_table, target_met
from bench.common import row as _row

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:41234/privacy/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    17.05ms    6.12ms  48.31ms   71.20%
    Req/Sec   235.41     21.07   280.00     68.00%
  2357 requests in 10.01s, 18.57MB read
Requests/sec:    235.48
Transfer/sec:      1.86MB
BENCH-JSON {"requests": 2357, "duration_us": 10009713, "p50_us": 16012, "p90_us": 24511, \
"p99_us": 41856, "max_us": 48310, "errors": {"connect": 0, "read": 0, "write": 0, \
"status": 0, "timeout": 0}, "statuses": {"200": 2350, "302": 7}}
"""


def test_parse_wrk_reads_the_scripts_figures():
    figures = selfservice.parse_wrk(WRK_OUTPUT)
    assert figures["requests"] == 2357
    assert figures["rps"] == pytest.approx(2357 / 10.009713)
    assert figures["p50_ms"] == pytest.approx(16.012)
    assert figures["p99_ms"] == pytest.approx(41.856)
    assert figures["max_ms"] == pytest.approx(48.31)
    assert figures["statuses"] == {200: 2350, 302: 7}
    assert figures["errors"]["timeout"] == 0


def test_parse_wrk_without_figures_says_so():
    with pytest.raises(RuntimeError, match="wrk printed no figures"):
        selfservice.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_targets_go_either_way():
    assert target_met(0.31, 0.3, minimum=True) is True
    assert target_met(0.3, 0.3, minimum=True) is True
    assert target_met(0.29, 0.3, minimum=True) is False
    assert target_met(2.9, 3.0) is True
    assert target_met(3.1, 3.0) is False
    assert target_met(5.0, None) is None
    assert target_met(None, 3.0) is None


def test_rows_with_a_minimum_ratio_target():
    met = _row("page rps", 900.0, "req/s", 2000.0, 0.3, ratio_target=True, minimum=True)
    assert met["ratio"] == 0.45
    assert met["target_is_minimum"] is True
    assert met["ok"] is True
    missed = _row("page rps", 200.0, "req/s", 2000.0, 0.3, ratio_target=True, minimum=True)
    assert missed["ok"] is False
    # An upper bound on the value itself, as the exports section uses.
    assert _row("peak RSS", 390.0, "MB", 300.0, 400)["ok"] is True
    assert _row("peak RSS", 410.0, "MB", 300.0, 400)["ok"] is False
    # No baseline: a ratio target cannot be judged.
    assert _row("page rps", 200.0, "req/s", None, 0.3, ratio_target=True)["ok"] is None
    assert set(met) >= {"name", "value", "unit", "baseline", "ratio", "target", "ok"}


def test_figures_to_rows_compares_each_endpoint_with_the_constant_runs_around_it():
    def figures(rps, p50=10.0, p99=20.0):
        return {"rps": rps, "p50_ms": p50, "p99_ms": p99}

    constants = [figures(2000, 1.0, 3.0), figures(3000, 1.0, 4.0), figures(1000, 1.0, 5.0)]
    constants.append(figures(2000, 1.0, 3.0))
    measured = {
        "GET /privacy/": (figures(800, p50=10.0, p99=40.0), 0.3),
        "POST /privacy/request/": (figures(150, p50=20.0, p99=30.0), 0.1),
        "GET /privacy/request/sent/": (figures(900, p50=2.0, p99=9.0), None),
    }
    rows = selfservice.figures_to_rows(measured, constants)
    by_name = {row["name"]: row for row in rows}
    baseline = next(row for row in rows if "constant view) rps" in row["name"])
    assert baseline["value"] == 2000
    assert baseline["runs"] == [2000, 3000, 1000, 2000]
    home = next(row for name, row in by_name.items() if name.startswith("selfservice: GET /p"))
    assert (home["baseline"], home["ratio"], home["ok"]) == (2500, 0.32, True)
    assert home["target_is_minimum"] is True
    post = next(row for name, row in by_name.items() if "POST" in name and "rps" in name)
    assert (post["baseline"], post["ratio"], post["ok"]) == (2000, 0.075, False)
    tails = [row for row in rows if "p99" in row["name"] and "constant" not in row["name"]]
    assert [(row["ratio"], row["ok"], row["target_is_minimum"]) for row in tails] == [
        (4.0, False, False),
        (1.5, True, False),
        (4.5, None, False),
    ]
    floor = next(row for name, row in by_name.items() if "sent/ rps" in name)
    assert (floor["baseline"], floor["ratio"], floor["target"], floor["ok"]) == (
        1500,
        0.6,
        None,
        None,
    )


def test_print_table_shows_which_way_each_target_goes(capsys):
    print_table(
        [
            _row("page rps", 900.0, "req/s", 2000.0, 0.3, ratio_target=True, minimum=True),
            _row("export time", 1.0, "s", 10.0, 0.25, ratio_target=True),
            _row("rows", 10.0, "rows"),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert "≥ 0.3" in lines[2] and lines[2].rstrip().endswith("yes")
    assert "≤ 0.25" in lines[3] and lines[3].rstrip().endswith("yes")
    assert "≥" not in lines[4] and "≤" not in lines[4]


def test_the_constant_view_is_only_in_the_bench_url_configuration():
    with pytest.raises(Resolver404):
        resolve(selfservice.CONSTANT_PATH)
    assert resolve(selfservice.CONSTANT_PATH, urlconf="bench.urls").url_name == "bench-constant"


class _Stub(BaseHTTPRequestHandler):
    posted: list[dict] = []

    def do_GET(self):
        self._answer(200)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.posted.append(parse_qs(self.rfile.read(length).decode()))
        self._answer(302)

    def _answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_wrk_script_posts_a_new_address_each_time_and_counts_statuses(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/privacy/request/"
        script = selfservice.lua_script(
            "POST",
            {"Content-Type": "application/x-www-form-urlencoded", "X-Note": 'say "hi"'},
            "rights=access&email=bench.t-",
            "%40example.com&website=",
        )
        options = {"seconds": 1, "connections": 2, "folder": tmp_path}
        figures = selfservice.run_wrk(shutil.which("wrk"), url, script, **options)
    finally:
        server.shutdown()
        server.server_close()
    assert figures["requests"] > 10
    assert set(figures["statuses"]) == {302}
    emails = [body["email"][0] for body in _Stub.posted]
    assert len(set(emails)) == len(emails)
    assert all(e.startswith("bench.t-") and e.endswith("@example.com") for e in emails)
