// The in-browser IDE the indexer serves at /subgraphs/name/<name>/graphql: GraphiQL bundled by
// scripts/build-graphiql.ts and served from the indexer itself, so the page works offline and
// loads no third-party script (it used to be Apollo Sandbox from a CDN).
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';

const mount = document.getElementById('graphiql');
if (!mount) throw new Error('GraphiQL: the page has no #graphiql element');
const endpoint = new URL(mount.dataset.endpoint ?? '/graphql', location.href).href;
const fetcher = createGraphiQLFetcher({ url: endpoint });
createRoot(mount).render(
  createElement(GraphiQL, {
    fetcher,
    defaultQuery: mount.dataset.defaultQuery ?? '{ _meta { block { number } } }\n',
    defaultEditorToolsVisibility: true,
  }),
);
