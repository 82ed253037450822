import { runFunction } from '@premiere/runtime';
import { reserveSeat } from './index';

void runFunction(reserveSeat);
