// store.get / get_in_block / set / remove / loadRelated
import { readFields, writeFields } from '../store-values.ts';
import type { HostContext, HostFns } from './context.ts';
import { boundary } from '../counters.ts';

export function storeHost(ctx: HostContext): HostFns {
  const get = (entityPtr: number, idPtr: number, inBlock: boolean): number => {
    const heap = ctx.heap;
    const shape = ctx.cache.shape(heap.readString(entityPtr), 'get');
    const entity = ctx.cache.get(shape, heap.readString(idPtr), inBlock);
    boundary.storeGets++;
    return entity === null ? 0 : writeFields(heap, shape, entity);
  };
  return {
    'store.get': (entityPtr: number, idPtr: number) => get(entityPtr, idPtr, false),
    'store.get_in_block': (entityPtr: number, idPtr: number) => get(entityPtr, idPtr, true),
    'store.set': (entityPtr: number, idPtr: number, dataPtr: number) => {
      const heap = ctx.heap;
      const shape = ctx.cache.shape(heap.readString(entityPtr), 'set');
      const id = heap.readString(idPtr);
      boundary.storeSets++;
      ctx.cache.set(shape, id, readFields(heap, dataPtr, shape), ctx.dataSource.rejectUndefinedFields);
    },
    'store.remove': (entityPtr: number, idPtr: number) => {
      const heap = ctx.heap;
      ctx.cache.remove(heap.readString(entityPtr), heap.readString(idPtr));
    },
  };
}
