; Per-user installer of 产改统计填报 for Windows 10 1703 or later, 64-bit (NSIS 3, built on Linux by makensis).
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DSOURCE_DIR=dist/win/ChanGaiTongJi \
;            -DOUT_FILE=ChanGaiTongJi-0.1.0-win64-安装程序.exe build_spec/windows/installer.nsi
; No administrator rights: the program goes to %LOCALAPPDATA%\Programs\ChanGaiTongJi, shortcuts to the user's
; Start menu and desktop, the uninstall entry to HKCU. The data folder (%LOCALAPPDATA%\ChanGaiTongJi) is a
; different folder and the uninstaller never touches it. Silent: /S.
Unicode true
Target amd64-unicode  ; a 64-bit installer for a 64-bit program (a 32-bit one would also need WOW64)
ManifestSupportedOS all
SetCompressor /SOLID lzma
ManifestDPIAware true
RequestExecutionLevel user

!ifndef VERSION
  !error "give -DVERSION=x.y.z"
!endif
!ifndef SOURCE_DIR
  !error "give -DSOURCE_DIR=the PyInstaller onedir folder"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "ChanGaiTongJi-${VERSION}-win64-安装程序.exe"
!endif

!define APP_NAME "产改统计填报"
!define APP_ID "ChanGaiTongJi"
!define PUBLISHER "云南省总工会产改办"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"

!include "MUI2.nsh"
!include "x64.nsh"
!include "WinVer.nsh"

Name "${APP_NAME} ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_ID}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=2052 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=2052 "FileDescription" "${APP_NAME} 安装程序"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "LegalCopyright" "${PUBLISHER}"

!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_ID}.exe"
!define MUI_FINISHPAGE_RUN_TEXT "现在打开${APP_NAME}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"

Function .onInit
  SetShellVarContext current
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "本程序需要 64 位的 Windows 10（1703 版或更新）。这台电脑是 32 位系统，无法安装。" /SD IDOK
    Abort
  ${EndIf}
  ${IfNot} ${AtLeastWin10}
    MessageBox MB_ICONSTOP "本程序需要 Windows 10（1703 版或更新）或 Windows 11。Windows 7/8 无法运行本程序，请参阅“使用说明”中的“Windows 7 的单位”。" /SD IDOK
    Abort
  ${EndIf}
FunctionEnd

Section "Install"
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; A previous version's files go first (PyInstaller renames files between versions); the data folder is elsewhere.
  IfFileExists "$INSTDIR\${APP_ID}.exe" 0 +2
    RMDir /r "$INSTDIR\_internal"
  File /r "${SOURCE_DIR}/*.*"
  WriteUninstaller "$INSTDIR\卸载.exe"
  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\${APP_ID}.exe" "" "$INSTDIR\${APP_ID}.exe" 0
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\卸载${APP_NAME}.lnk" "$INSTDIR\卸载.exe"
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${APP_ID}.exe" "" "$INSTDIR\${APP_ID}.exe" 0
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_ID}.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\卸载.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\卸载.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$DESKTOP\${APP_NAME}.lnk"
  RMDir /r "$SMPROGRAMS\${APP_NAME}"
  ; Only the program folder, and only when it really is one: the records stay in %LOCALAPPDATA%\${APP_ID}.
  IfFileExists "$INSTDIR\${APP_ID}.exe" 0 +3
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\${APP_ID}*.exe"
  Delete "$INSTDIR\卸载.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
