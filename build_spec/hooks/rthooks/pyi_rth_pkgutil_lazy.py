# Run-time hook for pkgutil in the built program, in place of PyInstaller's own (pyi_rth_pkgutil, Apache-2.0),
# whose steps it takes from there.
#
# PyInstaller's hook imports pkgutil (and importlib.util, importlib.machinery …) at every start, to teach
# pkgutil.iter_modules the modules in PyInstaller's own archive. No command of this program imports pkgutil
# itself; the same registration is made when something first does.


def _pyi_rthook():
    from common.after_import import after_first_import

    def patch(pkgutil):
        import pyimod02_importers  # PyInstaller's bootstrap module

        def iter_frozen_finder_modules(finder, prefix=""):
            # The archive's tree of modules, from the finder's package down
            tree_node = pyimod02_importers.get_pyz_toc_tree()
            for part in finder._pyz_entry_prefix.split(".") if finder._pyz_entry_prefix else []:
                tree_node = tree_node.get(part)
                if not isinstance(tree_node, dict):  # no such package, or a module rather than a package
                    tree_node = {}
                    break
            for entry_name, entry_data in tree_node.items():
                yield prefix + entry_name, isinstance(entry_data, dict)
            # then the modules of the finder's fall-back (files on disk); iter_modules drops duplicates itself
            if finder.fallback_finder is not None:
                yield from pkgutil.iter_importer_modules(finder.fallback_finder, prefix)

        pkgutil.iter_importer_modules.register(pyimod02_importers.PyiFrozenFinder, iter_frozen_finder_modules)

    after_first_import("pkgutil", patch)


_pyi_rthook()
del _pyi_rthook
