import { runFunction } from '@premiere/runtime';
import { issueToken } from './index';

void runFunction(issueToken);
