"""Time `lianxi run` against the naive baseline and the calamine floor on N generated workbooks.

    python bench/run.py --sizes 1000 10000 [--seed 2026] [--baseline-sample 500] [--workers 2]

Each measurement runs in its own process (the run through the real CLI, in a fresh workspace
whose inbox links the cached files); wall time is taken here, peak memory by sampling the whole
process tree. See bench/README.md for what is measured and why.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generate import CACHE, Inbox, ensure_inbox  # noqa: E402

AS_OF = "2026-11-30"
# A pair is taken again when the hypervisor took more than this share of the machine's CPU time
# from one of its measurements (Linux's steal time): it measured the host, not lianxi.
STOLEN_SHARE = 0.03
RETAKES = 2  # at most, a pair
# every workspace made, removed only once all is measured: a file made where thousands were
# deleted minutes before can cost ext4 a scan of their inodes (see `fresh_workspace`)
WORKSPACES: list[Path] = []


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    report: dict[str, object]
    stolen_s: float = 0.0  # CPU seconds the hypervisor took from the machine meanwhile

    @property
    def disturbed(self) -> bool:
        """Whether the hypervisor took more than `STOLEN_SHARE` of the machine's CPU time."""
        return self.stolen_s > STOLEN_SHARE * self.seconds * (os.cpu_count() or 1)


def measure(command: list[str], *, cwd: Path = ROOT) -> Measured:
    """Run ``command``; its wall time, the peak RSS of its process tree and its JSON report.

    What the runs before it wrote is flushed to disk first (a full run writes ~600 MB): no
    measurement pays for the writeback of the one before, as a clerk's next run does not.
    """
    os.sync()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stolen = _stolen()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = _PeakSampler(process.pid)
    peak.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    stolen = _stolen() - stolen
    peak.stop()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err[-3000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return Measured(seconds, peak.peak_mb, json.loads(lines[-1]) if lines else {}, stolen)


def _stolen() -> float:
    """The CPU seconds the hypervisor has taken from this machine since it started (the steal
    time of /proc/stat's first line); 0 where there is no such count."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            return int(stat.readline().split()[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class _PeakSampler(threading.Thread):
    """The largest sum of RSS over a process and all its descendants (psutil), else ru_maxrss.

    Every 0.1 s: sampling takes CPU from what it measures (each sample walks every process for
    the tree's children: ~9% of a core at every 20 ms, ~2% at 0.1 s), and a run's memory
    peaks last seconds (a task's rows, the ledger's batch).
    """

    INTERVAL = 0.1  # seconds

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._done.wait(self.INTERVAL):
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:  # the measured process has just ended
                continue
            for process in tree:
                with contextlib.suppress(psutil.Error):  # it ended between the two calls
                    total += process.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> None:
        self._done.set()
        self.join()
        if self.peak_mb == 0.0:  # no psutil: the largest single child process
            import resource

            self.peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def fresh_workspace(inbox: Inbox) -> Path:
    """A new workspace whose inbox holds hard links to the cached files (copies across devices).

    Earlier workspaces are left in place until the end (`WORKSPACES`): ext4 without a journal
    does not reuse an inode freed less than five minutes before, and looks at each such inode
    in turn when it makes a file. Removing the last run's workspace (~2,500 outputs) just
    before the next made the next run's receipts cost ~1 CPU-second more, a cost of this
    script's cleaning, not of a clerk's run.
    """
    workspace = Path(tempfile.mkdtemp(prefix="ws-", dir=CACHE))
    WORKSPACES.append(workspace)
    for source in sorted(inbox.inbox.rglob("*.xlsx")):
        target = workspace / "inbox" / source.relative_to(inbox.inbox)
        target.parent.mkdir(parents=True, exist_ok=True)
        _link(source, target)
    return workspace


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _warm(inbox: Path) -> None:
    """Read every file once, so that neither the run nor the floor pays for a cold disk cache."""
    for path in inbox.rglob("*.xlsx"):
        path.read_bytes()


def compile_bytecode() -> None:
    """Compile the checkout's modules, as `pip install` compiles an installed package's.

    The runs import lianxi from this checkout. Where PYTHONDONTWRITEBYTECODE is set (some
    containers set it), nothing would ever be cached and every run, and its fork server, would
    compile all of lianxi again: half a second of each rerun that no installed copy pays.
    """
    compileall.compile_dir(ROOT / "pipeline", quiet=1)


def lianxi_run(workspace: Path, args: argparse.Namespace) -> Measured:
    command = [sys.executable, "-m", "pipeline", "run", "-w", str(workspace), "--as-of", AS_OF,
               "--workers", str(args.workers), *args.run_args]  # fmt: skip
    return measure(command)


def size(files: int, args: argparse.Namespace) -> dict[str, object]:
    """All measurements for one inbox size: ``--pairs`` times the run, then the floor, one
    after the other (the incremental run between them, on the largest size), and the baseline
    once. Each ratio is of a run and the floor timed next to it; the medians are reported."""
    inbox, generated = ensure_inbox(args.seed, files, args.workers)
    print(f"\n== N = {files} ({'generated' if generated else 'cached'}: {inbox.root})", flush=True)
    _warm(inbox.inbox)
    incremental = files == max(args.sizes) and not args.no_incremental
    pairs = [_pair(inbox, files, incremental, args) for _ in range(args.pairs)]
    baseline, note = _baseline(inbox, files, args)
    _line(f"baseline (read_excel+pandera, 1 process){note}", files, baseline)
    run = median(p["run_s"] for p in pairs)
    retakes = int(sum(p["retakes"] for p in pairs))
    result: dict[str, object] = {
        "files": files, "pairs": pairs, "run_s": run, "floor_s": median(p["floor_s"] for p in pairs),
        "run_peak_mb": max(p["run_peak_mb"] for p in pairs),
        "run_over_floor": median(p["run_over_floor"] for p in pairs),
        "baseline_s": baseline.seconds, "baseline_note": note.strip(),
        "run_over_baseline": run / baseline.seconds, "retakes": retakes,
    }  # fmt: skip
    print(f"   median of {len(pairs)}: run {run:.2f} s;  run/baseline = "
          f"{run / baseline.seconds:.3f} (baseline is {baseline.seconds / run:.1f}× slower);  "
          f"run/floor = {result['run_over_floor']:.2f} ({_each(pairs, 'run_over_floor', '.2f')})"
          f"{_retaken(retakes)}", flush=True)  # fmt: skip
    if incremental:
        result["incremental_share"] = median(p["incremental_share"] for p in pairs)
        result["incremental_s"] = median(p["incremental_s"] for p in pairs)
        print(
            f"   incremental (median of {len(pairs)}): {result['incremental_s']:.2f} s, "
            f"{result['incremental_share']:.1%} of its full run "
            f"({_each(pairs, 'incremental_share', '.1%')})",
            flush=True,
        )
    return result


def _retaken(retakes: int) -> str:
    return f"; {retakes} taken again, the hypervisor having taken the CPU" if retakes else ""


def _each(pairs: list[dict[str, float]], key: str, spec: str) -> str:
    return ", ".join(format(pair[key], spec) for pair in pairs)


def _pair(
    inbox: Inbox, files: int, incremental: bool, args: argparse.Namespace
) -> dict[str, float]:
    """`_pair_once`, taken again (`RETAKES` times at most) while the hypervisor took more than
    `STOLEN_SHARE` of the machine's CPU from one of its measurements: on a shared host, one
    floor took 21 s with 10 s stolen, and 12.7 s with 0.15 s stolen a minute later."""
    for retake in range(RETAKES + 1):
        pair, disturbed = _pair_once(inbox, files, incremental, args)
        if not disturbed:
            break
        if retake < RETAKES:
            print("   (taken again: the hypervisor took the machine's CPU meanwhile)", flush=True)
    return pair | {"retakes": retake}


def _pair_once(
    inbox: Inbox, files: int, incremental: bool, args: argparse.Namespace
) -> tuple[dict[str, float], bool]:
    """One run in a fresh workspace (and one new file into it), then the floor; whether one of
    them was disturbed (`Measured.disturbed`)."""
    workspace = fresh_workspace(inbox)
    run = lianxi_run(workspace, args)
    _line("lianxi run", files, run)
    pair = {"run_s": run.seconds, "run_peak_mb": run.peak_mb, "run_stolen_s": run.stolen_s}
    disturbed = run.disturbed
    if incremental:
        again = _incremental(inbox, workspace, run, args)
        pair |= _incremental_figures(again, run)
        disturbed |= again.disturbed
    floor = measure([sys.executable, str(ROOT / "bench" / "floor.py"), str(inbox.inbox),
                     "--workers", str(args.workers)])  # fmt: skip
    _line("floor (calamine, all cores)", files, floor)
    print(f"   run/floor = {run.seconds / floor.seconds:.2f}", flush=True)
    pair |= {"floor_s": floor.seconds, "floor_stolen_s": floor.stolen_s,
             "run_over_floor": run.seconds / floor.seconds}  # fmt: skip
    return pair, disturbed or floor.disturbed


def _baseline(inbox: Inbox, files: int, args: argparse.Namespace) -> tuple[Measured, str]:
    command = [sys.executable, str(ROOT / "bench" / "baseline.py"), str(inbox.inbox)]
    sample = args.baseline_sample
    if not 0 < sample < files:
        return measure(command), ""
    timed = measure([*command, "--sample", str(sample)])
    per_file = float(str(timed.report["work"])) / sample
    seconds = timed.seconds + per_file * (files - sample)  # start-up once, then every file
    note = f" [EXTRAPOLATED linearly from {sample} files]"
    return Measured(seconds, timed.peak_mb, timed.report), note


def _incremental(
    inbox: Inbox, workspace: Path, full: Measured, args: argparse.Namespace
) -> Measured:
    """One more cadre's ledger dropped into the inbox the full run has just processed."""
    target = workspace / "inbox" / inbox.extra.relative_to(inbox.extra.parents[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    _link(inbox.extra, target)
    again = lianxi_run(workspace, args)
    print(
        f"   incremental: 1 new file into {inbox.files} processed: {again.seconds:.2f} s, "
        f"{again.seconds / full.seconds:.1%} of the full run, peak {again.peak_mb:.0f} MB"
        f"{_stolen_note(again)}",
        flush=True,
    )
    return again


def _incremental_figures(again: Measured, full: Measured) -> dict[str, float]:
    return {
        "incremental_s": again.seconds,
        "incremental_share": again.seconds / full.seconds,
        "incremental_peak_mb": again.peak_mb,
        "incremental_stolen_s": again.stolen_s,
    }


def _line(label: str, files: int, measured: Measured) -> None:
    print(f"   {label:<48} {measured.seconds:8.2f} s  {files / measured.seconds:8.1f} files/s  "
          f"peak {measured.peak_mb:7.0f} MB{_stolen_note(measured)}", flush=True)  # fmt: skip


def _stolen_note(measured: Measured) -> str:
    return f"  (stolen {measured.stolen_s:.2f} s)" if measured.stolen_s >= 0.05 else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for generation, the run and the floor",
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=0,
        metavar="K",
        help="time the baseline on K files and extrapolate linearly (0: every file)",
    )
    parser.add_argument(
        "--pairs", type=int, default=3, metavar="K",
        help="time the run and the floor K times, alternately; ratios are their medians",
    )  # fmt: skip
    parser.add_argument("--no-incremental", action="store_true", help="skip the one-new-file run")
    parser.add_argument(
        "--keep", action="store_true", help="keep the workspaces under bench/.cache/"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "run_args", nargs="*", help="after --: extra `lianxi run` options, e.g. -- --executor dask"
    )
    args = parser.parse_args()
    compile_bytecode()
    try:
        results = [size(files, args) for files in sorted(args.sizes)]
    finally:
        for workspace in WORKSPACES if not args.keep else []:
            shutil.rmtree(workspace, ignore_errors=True)
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = float(str(large["run_peak_mb"])) / float(str(small["run_peak_mb"]))
        scale = float(str(large["files"])) / float(str(small["files"]))
        print(f"\npeak memory grows {growth:.2f}× for {scale:.0f}× the files")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
