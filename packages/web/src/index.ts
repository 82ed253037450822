export * from './html';
export * from './cookies';
export * from './cross-site';
export * from './i18n';
export { languageRoute, localPath } from './i18n/route';
