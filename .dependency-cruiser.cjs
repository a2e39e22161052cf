// The layers of ARCHITECTURE.md, lowest first. A module may import its own layer and the layers below it,
// never one above; roles do not import each other; no cycles anywhere. `npm test` runs this.
const layers = [
  ['core', '^src/core/'],
  ['spec', '^src/spec/'],
  ['xml-charset', '^src/(xml|charset)/'],
  ['transport', '^src/(client|listener|triggers)/'],
  ['roles', '^src/(simulator|partner|docs|pact)/'],
  ['checks', '^src/checks/'],
  ['suites', '^suites/'],
  ['runner', '^src/(runner|load)/'],
  ['reporters', '^(reporters|src/bundle)/'],
  ['cli', '^src/cli/'],
];

const upward = layers.slice(0, -1).map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} may import only itself and the layers below it (ARCHITECTURE.md)`,
  severity: 'error',
  from: { path },
  to: {
    path: layers
      .slice(i + 1)
      .map(([, p]) => `(${p})`)
      .join('|'),
  },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'roles-apart',
      comment:
        'the simulator, the reference partner, docs and pact each stand on the layers below, not on each other',
      severity: 'error',
      from: { path: '^src/(simulator|partner|docs|pact)/' },
      to: { path: '^src/(simulator|partner|docs|pact)/', pathNot: '^src/$1/' },
    },
    {
      name: 'suites-apart',
      comment: 'the gateway and partner suites share the check kernel, not each other',
      severity: 'error',
      from: { path: '^suites/(gateway|partner)/' },
      to: { path: '^suites/', pathNot: '^suites/$1/' },
    },
    {
      name: 'no-tests-in-product',
      comment: 'what ships never imports test or bench code',
      severity: 'error',
      from: { path: '^(src|suites|reporters)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'every-module-in-a-layer',
      comment: 'a folder of src/ that no layer names is a layer nobody decided: add it to the table above',
      severity: 'error',
      from: { path: '^src/', pathNot: layers.map(([, p]) => `(${p})`).join('|') },
      to: {},
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
