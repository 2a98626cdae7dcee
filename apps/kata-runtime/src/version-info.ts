import pkg from '../package.json';

/** Replaced with the git commit by the esbuild bundle (tools/build-app.mjs --commit); absent under tsx. */
declare const __KATA_TS_COMMIT__: string | undefined;

/** The OCI runtime-spec version whose config.json the agent honours. */
export const OCI_SPEC_VERSION = '1.1.0';

export interface VersionInfo {
  name: string;
  version: string;
  commit: string;
  ociSpec: string;
}

export function versionInfo(): VersionInfo {
  const commit = typeof __KATA_TS_COMMIT__ === 'string' ? __KATA_TS_COMMIT__ : 'unknown (not a release build)';
  return { name: 'kata-runtime', version: pkg.version, commit, ociSpec: OCI_SPEC_VERSION };
}

/** Kata's layout: `kata-runtime  : <ver>\n   commit   : <sha>\n   OCI specs: <ver>`. */
export function formatVersion(v: VersionInfo): string {
  return `${v.name}  : ${v.version} (kata-ts)\n   commit   : ${v.commit}\n   OCI specs: ${v.ociSpec}\n`;
}
