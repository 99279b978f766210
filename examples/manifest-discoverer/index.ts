export { discovererFactory, type ManifestOptions } from './manifest-discoverer';
