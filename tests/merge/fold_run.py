"""A merge in a process of its own, on the database DATABASE_URL names (the receiving side):

    python -m tests.merge.fold_run plan SOURCE_URL PLAN.json   # decided, sealed, admin named
    python -m tests.merge.fold_run apply SOURCE_URL PLAN.json [--stall-after LABEL]

`--stall-after` makes the fold wait (inside its transaction) once it has written that table,
printing STALLED, so that a test can kill the process there: test code only."""

from __future__ import annotations

import os
import sys
import time

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    import django

    django.setup()
    from schoolbrug.merge import fold, folder
    from schoolbrug.merge import plan as plans

    step, source_url, path = sys.argv[1:4]
    if step == "plan":
        plan = plans.make_plan(source_url, central_admin="directie@receiving.test")
        for candidate in plan["candidates"]:
            candidate["decision"] = "same"
        plans.write_plan(plans.seal(plan), path)
        print("PLANNED", flush=True)
    else:
        if "--stall-after" in sys.argv:
            stall_after = sys.argv[sys.argv.index("--stall-after") + 1]
            real_fold = folder.TableFolder.fold

            def stalling_fold(self):
                state = real_fold(self)
                if self.model._meta.label == stall_after:
                    print("STALLED", flush=True)
                    time.sleep(600)
                return state

            folder.TableFolder.fold = stalling_fold
        report = fold.apply(plans.read_plan(path), source_url=source_url)
        print("DONE", sum(t["added"] for t in report["tables"].values()), flush=True)
