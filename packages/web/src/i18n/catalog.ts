import { ptBR } from './pt-BR';

/** A plural: the forms Intl.PluralRules may pick (`other` when the language's form is missing). */
export type Plural = {
  readonly zero?: string;
  readonly one?: string;
  readonly two?: string;
  readonly few?: string;
  readonly many?: string;
  readonly other: string;
};
export type MessageKey = keyof typeof ptBR;
/** Every language's catalog has pt-BR's keys, each a string where pt-BR's is one, a plural where pt-BR's is one. */
export type Catalog = { readonly [K in MessageKey]: (typeof ptBR)[K] extends string ? string : Plural };
