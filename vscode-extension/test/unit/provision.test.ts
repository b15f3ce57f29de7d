import * as assert from 'node:assert/strict';

import {
  bundledWheel,
  installCommands,
  isSupported,
  parsePythonVersion,
  privateEnv,
  progressLine,
  pythonCandidates,
  setupAdvice,
  staleEnvs,
} from '../../src/provision';

describe('server set-up plan', () => {
  it('finds the shipped wheel and its version', () => {
    assert.deepEqual(bundledWheel(['README.md', 'codesift-0.1.0-py3-none-any.whl']), {
      file: 'codesift-0.1.0-py3-none-any.whl',
      version: '0.1.0',
    });
    assert.equal(bundledWheel(['codesift-0.1.0.tar.gz', 'other-1.0-py3-none-any.whl']), undefined);
  });

  it('accepts Python 3.11 and later only', () => {
    assert.deepEqual(parsePythonVersion('3 12\n'), [3, 12]);
    assert.equal(parsePythonVersion('Python 3.12.1'), undefined);
    assert.ok(isSupported([3, 11]) && isSupported([3, 13]) && isSupported([4, 0]));
    assert.ok(!isSupported([3, 10]) && !isSupported([2, 7]) && !isSupported(undefined));
  });

  it("tries the Python extension's interpreter first, then names on PATH", () => {
    assert.deepEqual(pythonCandidates(['/opt/py/bin/python'], 'linux'), [
      ['/opt/py/bin/python'],
      ['python3.13'],
      ['python3.12'],
      ['python3.11'],
      ['python3'],
    ]);
    assert.deepEqual(pythonCandidates(undefined, 'win32'), [['py', '-3'], ['python']]);
  });

  it('one environment per version in global storage; older ones are stale', () => {
    const env = privateEnv('/home/u/.vscode/globalStorage/codesift.codesift', '0.2.0', 'linux');
    assert.equal(env.dir, '/home/u/.vscode/globalStorage/codesift.codesift/server-0.2.0');
    assert.equal(env.codesift, `${env.dir}/bin/codesift`);
    assert.equal(privateEnv('C:\\s', '0.2.0', 'win32').python, 'C:\\s\\server-0.2.0\\Scripts\\python.exe');
    assert.deepEqual(staleEnvs(['server-0.1.0', 'server-0.2.0', 'other'], '0.2.0'), ['server-0.1.0']);
    assert.deepEqual(installCommands(['python3'], env, '/ext/server/codesift-0.2.0-py3-none-any.whl'), [
      ['python3', '-m', 'venv', '--clear', env.dir],
      [env.python, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off',
        '/ext/server/codesift-0.2.0-py3-none-any.whl'],
    ]);
  });

  it('a failure says what went wrong and how to install by hand', () => {
    const advice = setupAdvice('venv', 'Error: ensurepip is not available\n');
    assert.match(advice, /python3-venv/);
    assert.match(advice, /ensurepip is not available/);
    assert.match(advice, /pipx install codesift/);
    assert.match(setupAdvice('python', ''), /no Python >= 3\.11 was found/);
  });

  it("shows pip's last line as progress", () => {
    assert.equal(progressLine('Collecting numpy\nDownloading numpy-2.4.whl (16 MB)\n'), 'Downloading numpy-2.4.whl (16 MB)');
    assert.equal(progressLine('\n  \n'), undefined);
    assert.equal(progressLine('x'.repeat(100))?.length, 80);
  });
});
