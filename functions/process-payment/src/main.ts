import { runFunction } from '@premiere/runtime';
import { processPayment } from './index';

void runFunction(processPayment);
