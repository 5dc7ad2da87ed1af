#!/usr/bin/python3
"""benchmark.py runs end to end: train, translate, score, write, rescore.

    runner-check.py BUILD_ROOT RECIPE

On one pair (forest+starry-night) without the G'MIC baseline (CI has no
gmic) and 2 training steps of RECIPE (tests/training/tiny-recipe.json):

1. a run writes results.json (the photo and the recipe scored, the training's
   wall and CPU time, load averages and step count), table.md with the mean
   row, and contact.jpg (3 columns: photo | recipe | painting, at most
   400 KB);
2. --skip-train translates the same model again, trains nothing and gives
   the same scores;
3. --translate-args reach gcut-translate ("--strength 0" gives the photo's
   own scores) and are recorded;
4. a missing gmic stops the run before any work, naming the Debian package;
   an unknown pair name is refused with the list of pairs.

Exit 0 on success, 1 on a failed check, 77 if numpy or Pillow is missing.
"""
import json
import os
import subprocess
import sys
import tempfile

from checklist import check, finish

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARK = os.path.join(HERE, "..", "..", "bench", "quality", "benchmark.py")

try:
    import numpy  # noqa: F401
    from PIL import Image
except ImportError as e:
    print("SKIP: %s" % e)
    sys.exit(77)


PAIR = "forest+starry-night"
def bench(build, results, *extra):
    cmd = [sys.executable, BENCHMARK, "--build", build, "--results", results,
           "--no-gmic", "--pairs", PAIR, "--steps", "2", "--threads", "2"] + list(extra)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    print("$ %s\n%s%s" % (" ".join(cmd), p.stdout[-1500:], p.stderr[-1500:]))
    return p


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    build, recipe = argv[1], argv[2]
    name = os.path.basename(recipe)[:-len(".json")] + "-s2"
    with tempfile.TemporaryDirectory() as results:
        first = bench(build, results, recipe)
        check(first.returncode == 0, "a run exits 0")
        folder = os.path.join(results, name)
        with open(os.path.join(folder, "results.json")) as f:
            run = json.load(f)
        pair = run["pairs"][0]
        ours = pair["methods"][name]
        train = ours["run"]
        check(pair["pair"] == PAIR and set(pair["methods"]) == {"photo", name},
              "results.json holds the photo and %s for %s" % (name, PAIR))
        check(set(ours["scores"]) >= {"swd", "swd_fine", "swd_levels", "ssim", "edge_r",
                                      "colour"}, "every score is recorded")
        check(train["wall_s"] > 0 and train["cpu_s"] > 0 and train["steps"] == 2
              and "load_start" in train and "load_end" in train,
              "the training's wall and CPU time, loads and 2 steps are recorded")
        with open(os.path.join(folder, "table.md")) as f:
            table = f.read()
        check("**mean of 1**" in table and "| %s |" % name in table,
              "table.md has the recipe's row and the mean")
        sheet = os.path.join(folder, "contact.jpg")
        check(os.path.getsize(sheet) <= 400 * 1024
              and Image.open(sheet).size == (3 * 244 + 4, 14 + 4 + 178),
              "contact.jpg: 3 columns, one row, %d bytes" % os.path.getsize(sheet))

        model = os.path.join(folder, PAIR, "model.safetensors")
        before = os.stat(model).st_mtime_ns
        again = bench(build, results, "--skip-train", recipe)
        with open(os.path.join(folder, "results.json")) as f:
            rescored = json.load(f)["pairs"][0]["methods"][name]
        check(again.returncode == 0 and "training %s" % PAIR not in again.stdout
              and os.stat(model).st_mtime_ns == before,
              "--skip-train trains nothing and keeps the model")
        check(rescored["scores"] == ours["scores"], "--skip-train gives the same scores")

        weak = bench(build, results, "--skip-train", "--translate-args", "--strength 0",
                     recipe)
        with open(os.path.join(folder, "results.json")) as f:
            weak_run = json.load(f)
        weak_scores = weak_run["pairs"][0]["methods"][name]["scores"]
        check(weak.returncode == 0 and weak_run["run"]["translate_args"] == "--strength 0"
              and weak_scores["ssim"] > 0.999 and weak_scores["ssim"] > ours["scores"]["ssim"],
              "--translate-args reach gcut-translate and are recorded")

        missing = subprocess.run([sys.executable, BENCHMARK, "--gmic", "/nonexistent/gmic",
                                  "--results", results, recipe], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        check(missing.returncode == 2 and "apt-get install gmic" in missing.stderr,
              "a missing gmic is refused with the package to install")
        unknown = bench(build, results, "--pairs", "nosuch+pair", recipe)
        check(unknown.returncode == 1 and PAIR in unknown.stderr,
              "an unknown pair is refused with the list of pairs")
    finish()


if __name__ == "__main__":
    main(sys.argv)
