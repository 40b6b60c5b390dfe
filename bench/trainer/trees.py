"""Tree ensembles on exactly the quality benchmark's folds, under its protocol (issue 23: "a tfjs
model level with the best trees"). Run by bench/trainer/treeReference.ts, which pairs the errors
with the tfjs model's; by hand:

    /usr/bin/python3 bench/trainer/trees.py <folds.csv>

<folds.csv> is bench/trainer/foldTable.ts's table: each scored row's fold, whether it is in the
inner test, its inputs after the data fixes, and its IBU. For each family below and each outer fold,
the setting is chosen on the fold's inner split (inner train and validation rows fit, the inner
test scores; the outer test rows take no part), then fitted on the fold's training and validation
rows (a tree needs no early stop, so it gets the rows the tfjs model stops on) with each seed, and
each row's absolute error is averaged over the seeds. Every family learns log1p(IBU), as the tfjs
model does. Prints one JSON line: per family, the settings chosen per fold and the errors, in the
table's row order.

Needs scikit-learn (Debian: python3-sklearn; scripts/ensure-sklearn.sh).
"""

import csv
import itertools
import json
import os
import sys

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingRegressor, RandomForestRegressor

INPUTS = ["abv", "target_og", "target_fg", "ebc", "srm", "ph"]
# BENCH_TREES_QUICK=1 (the test of this script only): small forests and one seed, to run in seconds.
QUICK = os.environ.get("BENCH_TREES_QUICK") == "1"
SEEDS = [1] if QUICK else [1, 2, 3, 4, 5]  # fixed in advance, as the tfjs model's
TREES = 20 if QUICK else 300
BOOSTING_ROUNDS = 30 if QUICK else 150


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) if r[c] != "" else np.nan for c in INPUTS] for r in rows])
    return {
        "x": x,
        "ibu": np.array([float(r["ibu"]) for r in rows]),
        "fold": np.array([int(r["fold"]) for r in rows]),
        "inner_test": np.array([r["inner_test"] == "true" for r in rows]),
    }


def imputed(x, fit_rows):
    """Missing inputs take the fitting rows' medians (lib/features.ts does the same)."""
    medians = np.nanmedian(x[fit_rows], axis=0)
    return np.where(np.isnan(x), medians, x)


def six_inputs(x):
    return x


def recipe_2(x):
    """lib/features.ts recipe 2: log ABV, log OG points, attenuation, ABV per OG point, log EBC, pH."""
    abv, og, fg, ebc, _srm, ph = x.T
    points = np.maximum(og - 1000, 1)
    return np.column_stack([np.log1p(abv), np.log1p(points), (og - fg) / points, abv / points, np.log1p(ebc), ph])


FEATURES = {"six inputs": six_inputs, "recipe 2": recipe_2}


def forest(kind):
    def make(setting, seed):
        leaf, max_features, _ = setting
        return kind(TREES, min_samples_leaf=leaf, max_features=max_features, random_state=seed, n_jobs=2)

    return make


def boosting(setting, seed):
    leaf, rate, _ = setting
    # Absolute error on log1p(IBU): the median, what an MAE rewards.
    return HistGradientBoostingRegressor(
        loss="absolute_error", max_iter=BOOSTING_ROUNDS, max_depth=3, learning_rate=rate, min_samples_leaf=leaf, random_state=seed
    )


# Each family's settings: (min rows a leaf, max features or learning rate, feature set).
FAMILIES = {
    "extra_trees": (forest(ExtraTreesRegressor), list(itertools.product([1, 3, 5, 8], [1.0, 0.5], FEATURES))),
    "random_forest": (forest(RandomForestRegressor), list(itertools.product([1, 3, 5, 8], [1.0, 0.5], FEATURES))),
    "hist_gradient_boosting": (boosting, list(itertools.product([5, 10, 20], [0.03, 0.1], FEATURES))),
}


def predict(data, make, setting, fit_rows, score_rows, seed):
    features = FEATURES[setting[2]]
    x = features(imputed(data["x"], fit_rows))
    model = make(setting, seed)
    model.fit(x[fit_rows], np.log1p(data["ibu"][fit_rows]))
    return np.expm1(model.predict(x[score_rows]))


def family_errors(data, make, settings):
    folds = sorted(set(data["fold"].tolist()))
    errors = np.zeros(len(data["ibu"]))
    chosen = []
    for fold in folds:
        test = data["fold"] == fold
        inner_test = ~test & data["inner_test"]
        inner_fit = ~test & ~data["inner_test"]

        def inner_mae(setting):
            p = predict(data, make, setting, inner_fit, inner_test, SEEDS[0])
            return float(np.mean(np.abs(p - data["ibu"][inner_test])))

        best = min(settings, key=inner_mae)
        chosen.append(list(best))
        runs = [np.abs(predict(data, make, best, ~test, test, seed) - data["ibu"][test]) for seed in SEEDS]
        errors[test] = np.mean(runs, axis=0)
        print(f"  trees: {len(chosen)}/{len(folds)} folds, chose {best}", file=sys.stderr, flush=True)
    return {"chosen": chosen, "errors": errors.tolist()}


def main():
    data = read(sys.argv[1])
    out = {}
    for name, (make, settings) in FAMILIES.items():
        print(f"  trees: {name}", file=sys.stderr, flush=True)
        out[name] = family_errors(data, make, settings)
    print(json.dumps({"seeds": SEEDS, "families": out}))


if __name__ == "__main__":
    main()
