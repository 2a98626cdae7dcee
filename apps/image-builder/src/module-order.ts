import { ImageBuildError } from './image-build-error';

/** A module's name as modprobe sees it: file name without .ko[.xz|.zst|.gz], '-' as '_'. */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

/**
 * Parses modules.dep (written by `depmod -b`): `kernel/a.ko: kernel/b.ko kernel/c.ko`.
 * Returns module name → { path, deps (paths) }.
 */
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const modules = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    modules.set(moduleName(path), { path, deps });
  }
  return modules;
}

/**
 * The module files to load, in an order where every module comes after its dependencies
 * (what `modprobe` would do for each name in turn), each file once. Built-in modules
 * (in modules.builtin) are skipped; a name that is neither is an error.
 */
export function moduleLoadOrder(wanted: readonly string[], modulesDep: string, builtin: readonly string[] = []): string[] {
  const modules = parseModulesDep(modulesDep);
  const builtinNames = new Set(builtin.map(moduleName));
  const byPath = new Map([...modules.values()].map((m) => [m.path, m]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string, chain: string[]): void => {
    if (seen.has(path)) return;
    if (chain.includes(path)) throw new ImageBuildError('MODULE_NOT_FOUND', `module dependency cycle: ${[...chain, path].join(' -> ')}`);
    const module = byPath.get(path);
    if (!module) throw new ImageBuildError('MODULE_NOT_FOUND', `modules.dep names ${path} but has no entry for it`);
    for (const dep of module.deps) visit(dep, [...chain, path]);
    seen.add(path);
    order.push(path);
  };
  for (const name of wanted) {
    const key = name.replace(/-/g, '_');
    const module = modules.get(key);
    if (module) visit(module.path, []);
    else if (!builtinNames.has(key)) throw new ImageBuildError('MODULE_NOT_FOUND', `kernel module ${name} is neither in modules.dep nor built in`);
  }
  return order;
}
