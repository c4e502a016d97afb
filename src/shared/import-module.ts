// import() of a module named at run time (a conflict handler's file), through the host's own
// import() when it gave one: the npm package runs the commands run over and over as node:vm
// scripts (bin/sqlferry.js keeps V8's code cache for them), where a script has no import() of
// its own. Modules named in the source (pg, ssh2) are not loaded through here: a bundle turns
// those into require() (bin/build-dist.ts).
type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

/** Called once by the host before anything is imported. */
export function useImporter(host: Importer): void {
  importer = host;
}

export function importModule(specifier: string): Promise<unknown> {
  return importer(specifier);
}
