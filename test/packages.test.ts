// Each package's public surface is what its package.json `exports` names: no "./*" that would make
// every internal file importable, and every named target exists. The subgraph runs on a graph-node
// without the embedded indexer, so it needs @hessian/indexer only for its tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const repo = path.dirname(import.meta.dirname);
const packages = ['common', 'contracts', 'test-kit', 'subgraph', 'indexer', 'dashboard'];

interface PackageJson {
  name: string;
  exports?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const read = (dir: string): PackageJson => JSON.parse(readFileSync(path.join(repo, dir, 'package.json'), 'utf8'));

for (const dir of packages) {
  test(`${dir}: exports name each public entry point, no wildcard, every target exists`, () => {
    const pkg = read(dir);
    assert.ok(pkg.exports && Object.keys(pkg.exports).length > 0, `${pkg.name} has no exports`);
    for (const [key, target] of Object.entries(pkg.exports)) {
      assert.equal(typeof target, 'string', `${pkg.name} ${key}`);
      assert.ok(!key.includes('*') && !target.includes('*'), `${pkg.name} exports a wildcard: "${key}": "${target}"`);
      assert.ok(existsSync(path.join(repo, dir, target)), `${pkg.name} "${key}" points at ${target}, which does not exist`);
    }
  });
}

test('subgraph depends on @hessian/indexer for its tests only', () => {
  const pkg = read('subgraph');
  assert.equal(pkg.dependencies?.['@hessian/indexer'], undefined, 'a runtime dependency');
  assert.ok(pkg.devDependencies?.['@hessian/indexer'], 'the mapping tests run the compiled WASM in the indexer');
});

test('test-kit is private and only ever a devDependency', () => {
  assert.equal((read('test-kit') as PackageJson & { private?: boolean }).private, true);
  for (const dir of ['common', 'contracts', 'subgraph', 'indexer', 'trainer', 'dashboard', 'test']) {
    assert.equal(read(dir).dependencies?.['@hessian/test-kit'], undefined, `${dir} depends on @hessian/test-kit at run time`);
  }
});
