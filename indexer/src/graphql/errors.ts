// Errors of query execution, serialized as graph-node serializes them.
import { GraphQLError, type SourceLocation } from 'graphql';
import { QueryInputError } from '../store/query-filter.ts';

/**
 * An error of graph-node's query execution. graph-node serializes most of them with a message
 * only; the few it places (e.g. an ambiguous derived field) are `located`.
 */
export class QueryError extends GraphQLError {
  located = false;
}

export class LocatedQueryError extends QueryError {
  override located = true;
}

/** An error as graph-node's JSON has it: `locations` (first, as graph-node writes it) only where graph-node has them. */
export function graphNodeError(message: string, locations: readonly SourceLocation[] | undefined, original: unknown): { locations?: readonly SourceLocation[]; message: string } {
  // graphql-js's FieldsOnCorrectTypeRule, in the words of graph-node's QueryExecutionError::UnknownField
  const unknown = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(message);
  if (unknown) message = `Type \`${unknown[2]}\` has no field \`${unknown[1]}\``;
  // the store's refusals are graph-node's store errors: a message only
  const unlocated = (original instanceof QueryError || original instanceof QueryInputError) && !original.located;
  // a located error thrown below its root field knows its own place
  if (original instanceof QueryError && original.located && original.locations) locations = original.locations;
  return locations && locations.length > 0 && !unlocated ? { locations, message } : { message };
}
