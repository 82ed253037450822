import { runFunction } from '@premiere/runtime';
import { renderCatalog } from './index';

void runFunction(renderCatalog);
