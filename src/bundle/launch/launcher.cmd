@echo off
rem {{name}}: launcher for a pystore bundle (target {{target}}). Generated.
setlocal
set "PYSTORE_ROOT=%~dp0.."
if exist "%PYSTORE_ROOT%\python\python.exe" (
  set "PYSTORE_PY="%PYSTORE_ROOT%\python\python.exe""
) else if defined PYSTORE_PYTHON (
  set "PYSTORE_PY="%PYSTORE_PYTHON%""
) else (
  set "PYSTORE_PY=py -{{python}}"
)
%PYSTORE_PY% -S -s -E "%PYSTORE_ROOT%\.pystore\boot.py" "{{name}}" "%~f0" %*
exit /b %ERRORLEVEL%
