// Static protection applied before any resolver runs: selection depth (fragments expanded,
// cycles left to graphql-js's own NoFragmentCycles rule).
import {
  KnownArgumentNamesRule,
  Kind,
  NoUndefinedVariablesRule,
  NoUnusedFragmentsRule,
  NoUnusedVariablesRule,
  ScalarLeafsRule,
  specifiedRules,
  VariablesInAllowedPositionRule,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { QueryError } from './errors.ts';

// graph-node runs without GraphQL validation by default (ENABLE_GRAPHQL_VALIDATIONS=false, its
// "graphql-bug-compat" tests): it ignores unknown arguments and sub-selections of scalars, gives
// undefined variables their defaults, accepts `$id: String!` where `ID!` is expected and unused
// variables or fragments.
// Queries written against it rely on that, so those rules are left out; every other rule of the
// spec still applies, plus the depth limit.
const LENIENT = new Set<ValidationRule>([
  KnownArgumentNamesRule,
  NoUndefinedVariablesRule,
  NoUnusedVariablesRule,
  NoUnusedFragmentsRule,
  ScalarLeafsRule,
  VariablesInAllowedPositionRule,
]);

export function queryRules(maxDepth: number): ValidationRule[] {
  return [...specifiedRules.filter((r) => !LENIENT.has(r)), depthLimitRule(maxDepth)];
}

export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const memo = new Map<string, number>();
    const depthOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
      if (!set) return 0;
      let max = 0;
      for (const sel of set.selections) {
        let d = 0;
        if (sel.kind === Kind.FIELD) d = sel.selectionSet ? 1 + depthOf(sel.selectionSet, visiting) : 1;
        else if (sel.kind === Kind.INLINE_FRAGMENT) d = depthOf(sel.selectionSet, visiting);
        else {
          const name = sel.name.value;
          if (visiting.has(name)) continue;
          const cached = memo.get(name);
          if (cached !== undefined) d = cached;
          else {
            visiting.add(name);
            d = depthOf(fragments.get(name)?.selectionSet, visiting);
            visiting.delete(name);
            memo.set(name, d);
          }
        }
        if (d > max) max = d;
        if (max > maxDepth) return max;
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        // `{ a { b } }` has depth 2: the root selection counts as the first level
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) context.reportError(new QueryError(`query has a depth that exceeds the limit of \`${maxDepth}\``, { nodes: [node] }));
      },
    };
  };
}
