# Run-time hook for inspect in the built program, in place of PyInstaller's own (pyi_rth_inspect, Apache-2.0),
# whose steps it takes from there.
#
# PyInstaller's hook imports inspect, and zipfile to list base_library.zip, at every start. This one patches
# inspect.getsourcefile when the program first imports inspect, and opens base_library.zip only if it exists (the
# spec collects the standard library as files: there is none).
#
# What the patch does: the built program's modules carry relative file names; getsourcefile resolves them to the
# program's folder (and to base_library.zip for modules listed in it), as PyInstaller's hook does.


def _pyi_rthook():
    import os
    import sys

    from common.after_import import after_first_import

    def patch(inspect):
        sys_prefix = os.path.normpath(sys._MEIPASS)
        base_library = os.path.join(sys_prefix, "base_library.zip")
        base_library_files = set()
        if os.path.isfile(base_library):
            import zipfile

            with zipfile.ZipFile(base_library, "r") as zf:
                base_library_files = {os.path.normpath(entry) for entry in zf.namelist()}
        original = inspect.getsourcefile

        def getsourcefile(object):
            filename = os.path.normpath(inspect.getfile(object))
            if not os.path.isabs(filename):
                main_file = getattr(sys.modules["__main__"], "__file__", None)
                if main_file and filename == os.path.basename(main_file):
                    return main_file
                pyc_filename = filename + "c"
                if pyc_filename in base_library_files:
                    return os.path.normpath(os.path.join(base_library, pyc_filename))
                return os.path.normpath(os.path.join(sys_prefix, filename))
            if filename.startswith(sys_prefix):
                return filename
            return original(object)

        inspect.getsourcefile = getsourcefile

    after_first_import("inspect", patch)


_pyi_rthook()
del _pyi_rthook
