// Svelte 5 strips `<script lang="ts">` type annotations itself: no preprocessor needed.
export default {};
