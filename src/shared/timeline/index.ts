// The timeline model's public surface (pure, used by the studio's preview and by export alike).
export * from './model';
export * from './easing';
export * from './evaluate';
export * from './edits';
export * from './history';
export { applyPerformance, decimate, importOpenFaceTracks } from './import-openface';
