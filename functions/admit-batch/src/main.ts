import { runFunction } from '@premiere/runtime';
import { admitBatch } from './index';

void runFunction(admitBatch);
