#!/usr/bin/python3
"""The public quality benchmark: recipes against G'MIC Stylize and the photo.

    /usr/bin/python3 bench/quality/benchmark.py [--quick | --pairs P,P...]
        [--steps N] [--threads 2] [--seed N] [--extra-train-args "..."]
        [--translate-args "..."]
        [--tag T] [--model-dir DIR | --skip-train] [--results DIR]
        [--build build] [--gmic gmic | --no-gmic] [RECIPE ...]

For every photo x painting pair of pairs.json (all 12; --quick: the 4 marked
quick; --pairs: those named PHOTO+PAINTING), with the images as stored in
bench/quality/images (photos at a 512-pixel short side, paintings at most 512):

1. baselines, computed once and cached under RESULTS/baselines: the untouched
   photo, and G'MIC's Stylize with its GIMP defaults (the painting as the top
   layer; GMIC_ARGS below; seeded and on one thread, so that it is
   repeatable), its wall and CPU time recorded;
2. for each RECIPE (a name in presets/recipes or a JSON file): gcut-train on
   (photo, painting) with --device cpu --threads N (the recipe decides its own
   crop and resize), then gcut-translate of the photo (with --translate-args,
   e.g. "--strength 0.5 --palette 1"); the training's wall
   time, its CPU time (user + system of the process, all threads) and the
   1-minute load average before and after are recorded. With --model-dir DIR
   the models DIR/PAIR/model.safetensors are translated instead of trained
   (--skip-train: the run's own folder), to rescore;
3. scores of every output (metrics.py): SWD x1e3 to the painting (mean of
   all levels, and of the finer levels without the coarsest), SSIM and edge
   correlation to the photo, colour distance to the painting. Scores are
   cached by the checksums of the images and of the metric code.

Written, per recipe, to RESULTS/NAME (NAME = the recipe's name, -sSTEPS with
--steps, -TAG with --tag): results.json, table.md (the photo, G'MIC and the
recipe per pair and their means, ready to paste into README.md), contact.jpg
(rows = pairs: photo | G'MIC | recipe | painting) and per pair the model,
the output and the logs. With no RECIPE only the baselines run, written to
RESULTS/baselines. The table of the whole run is printed, and kept in
RESULTS/last-run.md. RESULTS defaults to bench/quality/results (git-ignored).

The machine may be shared: CPU seconds / threads estimates the wall time an
idle machine would take; wall times alone mislead when the load is high.
"""
import argparse
import datetime
import functools
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from quality import contact_sheet, imageset, images, metrics, safetensors  # noqa: E402
from quality.tools import SOURCE_ROOT, recipe_path, run_logged, tool  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Artistic > Stylize in GIMP's G'MIC-Qt dialog with its defaults (G'MIC 2.9),
# the painting as the top layer. Its patch search is random: "srand 0" and one
# thread make it repeatable (two threads race, and give other bytes each run).
GMIC_SEED = ["srand", "0"]
GMIC_ARGS = ("fx_stylize 0,5,0,0,0.5,2,3,0.5,0.1,3,3,0,0.7,1,0,1,0,5,5,7,1,30,10,2,1.85,0 "
             "rm[0] c 0,255 round").split()
GMIC_THREADS = 1
METRIC_SOURCES = ("metrics.py", "swd.py", "ssim.py", "images.py")
SCORE_KEYS = ("swd", "swd_fine", "ssim", "edge_r", "colour")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def key_of(*parts):
    """A short cache key from strings."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def write_atomic(path, data):
    """Write text or bytes through a temporary file and a rename."""
    tmp = path + ".tmp"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.replace(tmp, path)


def write_json(path, value):
    write_atomic(path, json.dumps(value, indent=1) + "\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


class Scorer:
    """metrics.score with a cache keyed by the three images' checksums and
    the metric code's, so rescoring the same files is free."""

    def __init__(self, cache_dir):
        self.dir = cache_dir
        os.makedirs(cache_dir, exist_ok=True)
        self.code = key_of(*(sha256(os.path.join(HERE, f)) for f in METRIC_SOURCES))

    def _cached(self, key, compute):
        path = os.path.join(self.dir, key + ".json")
        if os.path.exists(path):
            return read_json(path)
        value = compute()
        write_json(path, value)
        return value

    def score(self, output, photo, painting):
        key = key_of(self.code, sha256(output), sha256(photo), sha256(painting))
        return self._cached(key, lambda: metrics.score(
            images.load_rgb(output), images.load_rgb(photo), images.load_rgb(painting)))

    def floor(self, painting):
        key = key_of(self.code, "floor", sha256(painting))
        return self._cached(key, lambda: metrics.floor(images.load_rgb(painting)))


@functools.lru_cache(maxsize=None)
def gmic_version(gmic):
    """G'MIC's version, as `gmic version` prints it."""
    out = subprocess.run([gmic, "version"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    m = re.search(r"Version (\S+)", re.sub(r"\x1b\[[0-9;]*m", "", out))
    return m.group(1) if m else "unknown"


def gmic_baseline(args, pair, cache_dir):
    """G'MIC Stylize of the pair's photo (cached): (output path, run record)."""
    version = gmic_version(args.gmic)
    key = key_of(version, " ".join(GMIC_SEED + GMIC_ARGS), str(GMIC_THREADS),
                 sha256(pair.photo_path), sha256(pair.painting_path))
    out = os.path.join(cache_dir, "gmic-%s-%s.png" % (pair.name, key))
    record_path = out[:-4] + ".json"
    if os.path.exists(out) and os.path.exists(record_path):
        return out, read_json(record_path)
    cmd = [args.gmic, "-v", "-"] + GMIC_SEED + [pair.painting_path, pair.photo_path] + \
        GMIC_ARGS + ["o", out + ".tmp.png"]
    print("  G'MIC Stylize %s ..." % pair.name, flush=True)
    m = run_logged(cmd, out[:-4] + ".log", env={"OMP_NUM_THREADS": str(GMIC_THREADS)})
    os.replace(out + ".tmp.png", out)
    record = {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "threads": GMIC_THREADS,
              "load_start": m.load_start, "load_end": m.load_end,
              "gmic_version": version, "command": " ".join(cmd)}
    write_json(record_path, record)
    return out, record


def train(args, recipe, pair, pair_dir):
    """gcut-train on the pair; the run record."""
    model = os.path.join(pair_dir, "model.safetensors")
    cmd = [tool(args.build, "gcut-train"), "--device", "cpu", "--threads",
           str(args.threads), "--content", pair.photo_path, "--style", pair.painting_path,
           "--recipe", recipe, "--checkpoint-every", "0", "-o", model]
    if args.steps:
        cmd += ["--steps", str(args.steps)]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    cmd += shlex.split(args.extra_train_args)
    print("  training %s ..." % pair.name, flush=True)
    m = run_logged(cmd, os.path.join(pair_dir, "train.log"))
    record = {"wall_s": m.wall_s, "cpu_s": m.cpu_s, "threads": args.threads,
              "cpu_per_thread_s": m.cpu_s / args.threads,
              "load_start": m.load_start, "load_end": m.load_end, "command": " ".join(cmd)}
    ckpt = os.path.join(pair_dir, "model.ckpt.safetensors")
    if os.path.exists(ckpt):
        history = safetensors.loss_history(ckpt)
        record["steps"] = len(next(iter(history.values())))
        record["losses_first_last_10pct"] = {k: safetensors.early_late(v)
                                             for k, v in history.items()}
    write_json(os.path.join(pair_dir, "train.json"), record)
    return record


def reused_model(model_dir, pair, pair_dir):
    """Copy DIR/PAIR/model.safetensors (and its train.json) into the run."""
    src = os.path.join(model_dir, pair.name)
    model = os.path.join(src, "model.safetensors")
    record = read_json(os.path.join(src, "train.json")) \
        if os.path.exists(os.path.join(src, "train.json")) else {}
    if os.path.realpath(src) != os.path.realpath(pair_dir):
        shutil.copyfile(model, os.path.join(pair_dir, "model.safetensors"))
        record["reused_from"] = os.path.abspath(src)
        write_json(os.path.join(pair_dir, "train.json"), record)
    return record


def translate(args, pair, pair_dir):
    """gcut-translate of the photo with the pair's model; output path, record."""
    out = os.path.join(pair_dir, "out.png")
    m = run_logged([tool(args.build, "gcut-translate"), "--threads", str(args.threads)]
                   + shlex.split(args.translate_args)
                   + [os.path.join(pair_dir, "model.safetensors"), pair.photo_path, out],
                   os.path.join(pair_dir, "translate.log"))
    return out, {"wall_s": m.wall_s, "cpu_s": m.cpu_s}


def run_name(args, recipe):
    name = os.path.basename(recipe)
    name = name[:-5] if name.endswith(".json") else name
    if args.steps:
        name += "-s%d" % args.steps
    return name + ("-" + args.tag if args.tag else "")


# ---- tables ---------------------------------------------------------------

def fmt(value, digits):
    return "–" if value is None else "%.*f" % (digits, value)


def fmt_seconds(value):
    """Seconds: whole ones from 100 s up, else one decimal."""
    return fmt(value, 0 if value is not None and value >= 100 else 1)


def table_row(label, method, scores, run):
    """One Markdown row: timings (if any), then the scores."""
    cells = [label, method]
    if run:
        cells += [fmt_seconds(run.get("wall_s")), fmt_seconds(run.get("cpu_s")),
                  fmt_seconds(run["cpu_s"] / run["threads"] if "cpu_s" in run else None),
                  "%s→%s" % (fmt(run.get("load_start"), 1), fmt(run.get("load_end"), 1))]
    else:
        cells += ["–"] * 4
    cells += [fmt(scores["swd"], 1), fmt(scores["swd_fine"], 1), fmt(scores["ssim"], 3),
              fmt(scores["edge_r"], 3), fmt(scores["colour"], 1)]
    return "| " + " | ".join(cells) + " |"


def mean_of(records, key):
    values = [r[key] for r in records if r and r.get(key) is not None]
    return sum(values) / len(values) if len(values) == len(records) else None


def markdown_table(rows, methods):
    """rows: per pair {"pair", "methods": {method: {"scores", "run"}}}, run
    the timed process (G'MIC's filter, a recipe's training) or None;
    methods: the methods' names in row order."""
    lines = ["| pair | method | wall s | CPU s | CPU s / thread | load 1 min | SWD | "
             "SWD fine | SSIM | edge r | colour |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        for i, m in enumerate(methods):
            entry = row["methods"][m]
            lines.append(table_row(row["pair"] if i == 0 else "", m, entry["scores"],
                                   entry.get("run")))
    for i, m in enumerate(methods):
        lines.append(table_row("**mean of %d**" % len(rows) if i == 0 else "", m,
                               mean_scores(rows, m),
                               mean_run([r["methods"][m].get("run") for r in rows])))
    return "\n".join(lines) + "\n"


def mean_run(runs):
    """The mean timings and loads of the pairs' runs; None unless all ran."""
    if not all(runs):
        return None
    run = {k: mean_of(runs, k) for k in ("wall_s", "cpu_s", "load_start", "load_end")}
    run["threads"] = runs[0]["threads"]
    return {k: v for k, v in run.items() if v is not None}


def mean_scores(rows, method):
    return {k: mean_of([r["methods"][method]["scores"] for r in rows], k)
            for k in SCORE_KEYS}


# ---- the run --------------------------------------------------------------

def git_describe():
    def git(*a):  # "" where git is not installed or this is no checkout
        try:
            return subprocess.run(["git", "-C", SOURCE_ROOT] + list(a), stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True).stdout.strip()
        except OSError:
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no")
                     else "")


def run_info(args):
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": git_describe(), "command": " ".join(sys.argv),
            "cpus": os.cpu_count(), "machine": platform.machine(),
            "threads": args.threads, "steps": args.steps, "seed": args.seed,
            "extra_train_args": args.extra_train_args,
            "translate_args": args.translate_args,
            "metrics": {"swd": metrics.SWD_ARGS, "colour_samples": metrics.COLOUR_SAMPLES}}


def baselines(args, pairs, scorer):
    """Per pair: the painting's noise floors, the photo and G'MIC."""
    cache = os.path.join(args.results, "baselines")
    os.makedirs(cache, exist_ok=True)
    rows = []
    for pair in pairs:
        entry = {"pair": pair.name, "photo": pair.photo, "painting": pair.painting,
                 "kind": pair.kind, "style": pair.style,
                 "floor": scorer.floor(pair.painting_path),
                 "images": {"photo": pair.photo_path, "painting": pair.painting_path},
                 "methods": {"photo": {"scores": scorer.score(
                     pair.photo_path, pair.photo_path, pair.painting_path)}}}
        if not args.no_gmic:
            out, record = gmic_baseline(args, pair, cache)
            entry["images"]["G'MIC"] = out
            entry["methods"]["G'MIC"] = {"scores": scorer.score(
                out, pair.photo_path, pair.painting_path), "run": record}
        rows.append(entry)
    return rows


def write_outputs(folder, info, rows, methods):
    """results.json, table.md and contact.jpg of one set of methods."""
    os.makedirs(folder, exist_ok=True)
    sheet_columns = methods + ["painting"]
    write_json(os.path.join(folder, "results.json"),
               {"run": info, "pairs": rows,
                "mean": {m: mean_scores(rows, m) for m in methods}})
    write_atomic(os.path.join(folder, "table.md"),
                 header(info) + "\n" + markdown_table(rows, methods))
    sheet = [("%s   %s" % (r["pair"], "   ".join(
        "%s: SWD %.1f SSIM %.2f" % (m, r["methods"][m]["scores"]["swd"],
                                     r["methods"][m]["scores"]["ssim"])
        for m in methods if m != "photo")),
        [r["images"].get(c) for c in sheet_columns]) for r in rows]
    contact_sheet.write(os.path.join(folder, "contact.jpg"), sheet_columns, sheet)


def header(info):
    """The line above a table: when, what, how."""
    extra = ""
    if info["steps"]:
        extra += ", --steps %d" % info["steps"]
    if info["seed"] is not None:
        extra += ", --seed %d" % info["seed"]
    if info["extra_train_args"]:
        extra += ", gcut-train %s" % info["extra_train_args"]
    if info.get("translate_args"):
        extra += ", gcut-translate %s" % info["translate_args"]
    return ("Run %s at commit %s, %s CPUs, --threads %d%s. Wall s and CPU s: training "
            "(recipes) or the whole filter (G'MIC, on %d thread); load: 1-minute load "
            "average before→after.\n" % (info["date"], info["commit"], info["cpus"],
                                          info["threads"], extra, GMIC_THREADS))


def plan(args, pairs):
    """(recipe file, run name, run folder, model folder or None) per recipe,
    all checked before any work: a missing recipe or model stops the run."""
    runs = []
    for arg in args.recipes:
        recipe = os.path.abspath(recipe_path(arg))
        if not os.path.exists(recipe):
            sys.exit("benchmark.py: recipe %s not found" % recipe)
        name = run_name(args, recipe)
        folder = os.path.join(args.results, name)
        model_dir = folder if args.skip_train else args.model_dir
        for pair in pairs if model_dir else []:
            model = os.path.join(model_dir, pair.name, "model.safetensors")
            if not os.path.exists(model):
                sys.exit("benchmark.py: %s not found (--model-dir / --skip-train)" % model)
        runs.append((recipe, name, folder, model_dir))
    return runs


def run_recipe(args, run, pairs, base_rows, scorer, info):
    """Train (or reuse), translate and score one recipe on every pair; write
    its folder. Returns its rows."""
    recipe, name, folder, model_dir = run
    print("%s -> %s" % (name, folder), flush=True)
    rows = []
    for pair, base in zip(pairs, base_rows):
        pair_dir = os.path.join(folder, pair.name)
        os.makedirs(pair_dir, exist_ok=True)
        record = reused_model(model_dir, pair, pair_dir) if model_dir \
            else train(args, recipe, pair, pair_dir)
        out, trans = translate(args, pair, pair_dir)
        row = json.loads(json.dumps(base))
        row["images"][name] = out
        row["methods"][name] = {"scores": scorer.score(out, pair.photo_path,
                                                       pair.painting_path),
                                "run": record or None, "translate": trans}
        rows.append(row)
    methods = list(base_rows[0]["methods"]) + [name]
    write_outputs(folder, dict(info, recipe=recipe, recipe_sha256=sha256(recipe)), rows,
                  methods)
    return rows


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("recipes", nargs="*", help="recipe names or JSON files")
    p.add_argument("--quick", action="store_true", help="the 4 pairs marked quick")
    p.add_argument("--pairs", help="comma-separated PHOTO+PAINTING names")
    p.add_argument("--steps", type=int, default=0, help="train this many steps")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=None, help="training seed override")
    p.add_argument("--extra-train-args", default="",
                   help="more gcut-train arguments, one shell-quoted string")
    p.add_argument("--translate-args", default="",
                   help="more gcut-translate arguments, one shell-quoted string")
    p.add_argument("--tag", default="", help="suffix of the run's folder name")
    p.add_argument("--model-dir", help="translate DIR/PAIR/model.safetensors, no training")
    p.add_argument("--skip-train", action="store_true",
                   help="translate the models already in the run's folder")
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    p.add_argument("--build", default=os.path.join(SOURCE_ROOT, "build"))
    p.add_argument("--gmic", default="gmic", help="G'MIC's command-line tool")
    p.add_argument("--no-gmic", action="store_true", help="leave the G'MIC baseline out")
    args = p.parse_args(argv)
    if args.model_dir and args.skip_train:
        p.error("give --model-dir or --skip-train, not both")
    if args.threads < 1:
        p.error("--threads must be 1 or more")
    if not args.no_gmic:
        found = shutil.which(args.gmic)
        if not found:
            p.error("the G'MIC baseline needs G'MIC's command-line tool '%s', not found: "
                    "install the Debian package gmic (apt-get install gmic), or pass "
                    "--no-gmic to leave the baseline out" % args.gmic)
        args.gmic = found
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        pairs = imageset.select(imageset.load(), args.quick,
                                args.pairs.split(",") if args.pairs else None)
    except ValueError as e:
        sys.exit("benchmark.py: %s" % e)
    runs = plan(args, pairs)
    os.makedirs(args.results, exist_ok=True)
    scorer = Scorer(os.path.join(args.results, "scores"))
    info = run_info(args)
    base_rows = baselines(args, pairs, scorer)
    methods = list(base_rows[0]["methods"])
    if not runs:
        write_outputs(os.path.join(args.results, "baselines"), info, base_rows, methods)
    combined = json.loads(json.dumps(base_rows))
    for run in runs:
        name = run[1]
        for row, recipe_row in zip(combined, run_recipe(args, run, pairs, base_rows,
                                                          scorer, info)):
            row["methods"][name] = recipe_row["methods"][name]
        methods.append(name)
    table = header(info) + "\n" + markdown_table(combined, methods)
    write_atomic(os.path.join(args.results, "last-run.md"), table)
    print("\n" + table)


if __name__ == "__main__":
    main()
