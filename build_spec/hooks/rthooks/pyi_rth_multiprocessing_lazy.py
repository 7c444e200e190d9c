# Run-time hook for multiprocessing in the built program, in place of PyInstaller's own (pyi_rth_multiprocessing),
# whose steps it takes from there.
#
# PyInstaller's hook imports multiprocessing (and pickle, socket, selectors …) at every start, so that a helper
# process started by multiprocessing runs its work instead of the program. Only receiving a large batch starts
# helpers (common/processes.py), so this hook does those steps only in a process that multiprocessing started:
#
# - a helper ("--multiprocessing-fork" and its handles): freeze_support is made to run the helper's work;
#   main.py calls it before anything else and the process ends there;
# - multiprocessing's resource tracker (Linux), started as "-c 'from multiprocessing.resource_tracker import
#   main…'" with the interpreter's flags: its code is run here, and the process ends.
#
# In the program itself nothing is imported at start: ``multiprocessing.process.ORIGINAL_DIR`` is cleared, as
# PyInstaller's hook does, when the program first imports multiprocessing (a spawned helper must not look for
# the program's main script on disk).


def _pyi_rthook():
    import sys

    def divert_helper_process():
        try:
            at = sys.argv.index("-c")
        except ValueError:
            return
        from subprocess import _args_from_interpreter_flags

        if set(sys.argv[1:at]) != set(_args_from_interpreter_flags()) or len(sys.argv) <= at + 1:
            return
        command = sys.argv[at + 1]
        if command.startswith(("from multiprocessing.resource_tracker import main",
                                "from multiprocessing.forkserver import main",
                                "import sys; from multiprocessing.forkserver import main")):
            exec(command)
            sys.exit()

    def patch(multiprocessing):
        import multiprocessing.spawn

        multiprocessing.process.ORIGINAL_DIR = None

        def freeze_support():
            divert_helper_process()
            if multiprocessing.spawn.is_forking(sys.argv):
                kwds = {}
                for arg in sys.argv[2:]:
                    name, value = arg.split("=")
                    kwds[name] = None if value == "None" else int(value)
                multiprocessing.spawn.spawn_main(**kwds)
                sys.exit()

        multiprocessing.freeze_support = multiprocessing.spawn.freeze_support = freeze_support

    if "-c" in sys.argv[1:]:
        divert_helper_process()
    if "--multiprocessing-fork" in sys.argv[1:]:
        import multiprocessing

        patch(multiprocessing)
        return

    from common.after_import import after_first_import

    after_first_import("multiprocessing", patch)


_pyi_rthook()
del _pyi_rthook
