// Query field names exactly as graph-node derives them from entity type names: camelCase of the
// name for the single-entity field and camelCase of its plural for collections (graph-node uses
// the Rust `Inflector` crate's `to_plural`; its suffix rules are restated here), with
// `_collection` appended when both coincide (`Stats` → `stats` / `stats_collection`).

// [ending, replacement for the ending's captured remainder]; the last matching rule wins, as in
// Inflector, which tries its rules from the end of its list.
const RULES: [RegExp, string][] = [
  [/^(\w*)s$/, 's'],
  [/^(\w*([^aeiou]ese))$/, ''],
  [/^(\w*(ax|test))is$/, 'es'],
  [/^(\w*(alias|[^aou]us|tlas|gas|ris))$/, 'es'],
  [/^(\w*(e[mn]u))s?$/, 's'],
  [/^(\w*([^l]ias|[aeiou]las|[emjzr]as|[iu]am))$/, ''],
  [/^(\w*(alumn|syllab|octop|vir|radi|nucle|fung|cact|stimul|termin|bacill|foc|uter|loc|strat))(?:us|i)$/, 'i'],
  [/^(\w*(alumn|alg|vertebr))(?:a|ae)$/, 'ae'],
  [/^(\w*(seraph|cherub))(?:im)?$/, 'im'],
  [/^(\w*(her|at|gr))o$/, 'oes'],
  [/^(\w*(agend|addend|millenni|dat|extrem|bacteri|desiderat|strat|candelabr|errat|ov|symposi|curricul|automat|quor))(?:a|um)$/, 'a'],
  [/^(\w*(apheli|hyperbat|periheli|asyndet|noumen|phenomen|criteri|organ|prolegomen|hedr|automat))(?:a|on)$/, 'a'],
  [/^(\w*)sis$/, 'ses'],
  [/^(\w*(kni|wi|li))fe$/, 'ves'],
  [/^(\w*(ar|l|ea|eo|oa|hoo))f$/, 'ves'],
  [/^(\w*([^aeiouy]|qu))y$/, 'ies'],
  [/^(\w*([^ch][ieo][ln]))ey$/, 'ies'],
  [/^(\w*(x|ch|ss|sh|zz)es)$/, ''],
  [/^(\w*(x|ch|ss|sh|zz))$/, 'es'],
  [/^(\w*(matr|cod|mur|sil|vert|ind|append))(?:ix|ex)$/, 'ices'],
  [/^(\w*(m|l)(?:ice|ouse))$/, 'ice'],
  [/^(\w*(pe)(?:rson|ople))$/, 'ople'],
  [/^(\w*(child))(?:ren)?$/, 'ren'],
  [/^(\w*eaux)$/, ''],
];

export function pluralize(word: string): string {
  for (let i = RULES.length - 1; i >= 0; i--) {
    const [re, replacement] = RULES[i]!;
    const m = re.exec(word);
    if (m && m[1] !== undefined) return m[1] + replacement;
  }
  return word + 's';
}

/** `TokenDayData` → `tokenDayData`, `ABCToken` → `abcToken`, `foo_bar` → `fooBar`. */
export function camelCase(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('');
}

export function queryFieldNames(typeName: string): { single: string; plural: string } {
  const single = camelCase(typeName);
  let plural = camelCase(pluralize(typeName));
  if (plural === single) plural += '_collection';
  return { single, plural };
}
