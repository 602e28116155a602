// Field collection over a selection (fragments, inline fragments, @skip/@include), keyed by
// response name: what the batched resolver needs to plan a whole level of the query at once.
import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface CollectEnv {
  fragments: Record<string, FragmentDefinitionNode>;
  variableValues: Record<string, unknown>;
}

function included(env: CollectEnv, node: FieldNode | { directives?: FieldNode['directives'] }): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node as FieldNode, env.variableValues);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node as FieldNode, env.variableValues);
  return include?.if !== false;
}

/** Fields selected on an object of type `typeName` (implementing `interfaces`), by response key. */
export function collectFields(
  env: CollectEnv,
  typeName: string,
  interfaces: readonly string[],
  selectionSets: readonly (SelectionSetNode | undefined)[],
): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  const seenFragments = new Set<string>();
  const applies = (cond: string | undefined) => !cond || cond === typeName || interfaces.includes(cond);
  const walk = (set: SelectionSetNode | undefined) => {
    if (!set) return;
    for (const sel of set.selections) {
      if (!included(env, sel)) continue;
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        const list = out.get(key);
        if (list) list.push(sel);
        else out.set(key, [sel]);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (applies(sel.typeCondition?.name.value)) walk(sel.selectionSet);
      } else {
        const name = sel.name.value;
        if (seenFragments.has(name)) continue;
        seenFragments.add(name);
        const frag = env.fragments[name];
        if (frag && applies(frag.typeCondition.name.value)) walk(frag.selectionSet);
      }
    }
  };
  for (const s of selectionSets) walk(s);
  return out;
}

export function collectEnv(info: { fragments: Record<string, FragmentDefinitionNode>; variableValues: Record<string, unknown> }): CollectEnv {
  return { fragments: info.fragments, variableValues: info.variableValues };
}

export function subSelections(nodes: readonly FieldNode[]): (SelectionSetNode | undefined)[] {
  return nodes.map((n) => n.selectionSet);
}
