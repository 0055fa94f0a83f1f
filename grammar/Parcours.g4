// The grammar of `.journey` files.
//
// The parser generated from this file is used only by compiler/syntax, which
// turns its parse tree into the AST; nothing else sees ANTLR types.
grammar Parcours;

file
  : moduleDecl? importDecl* declaration* EOF
  ;

moduleDecl : 'module' qualifiedName ;
importDecl : 'import' qualifiedName ;
qualifiedName : name ('.' name)* ;

declaration
  : profileDecl
  | eventDecl
  | segmentDecl
  | journeyDecl
  ;

profileDecl : 'profile' '{' attribute* '}' ;

// `wire` is the key of the attribute in the JSON traits when it differs.
attribute : name wire=STRING? ':' typeRef ('=' expr)? ','? ;

eventDecl : 'event' name wire=STRING? '{' attribute* '}' ;

typeRef : name optional='?'? ;

segmentDecl : 'segment' name '=' expr ;

journeyDecl : 'journey' name '{' journeyClause* step* '}' ;

journeyClause
  : 'on' event=name ('as' alias=name)? ('where' expr)?  # triggerClause
  | 'exit' 'on' event=name                              # exitClause
  ;

step : (label=name ':')? stepBody ;

stepBody
  : 'wait' expr                                         # waitStep
  | 'send' channel=name templ=STRING                    # sendStep
  | 'if' expr block elseBranch?                         # ifStep
  | 'exit'                                              # exitStep
  ;

elseBranch
  : 'else' block
  | 'else' ifElse=stepBody
  ;

block : '{' step* '}' ;

// Alternatives are listed from the tightest binding to the loosest.
expr
  : '(' expr ')'                                        # parenExpr
  | callee=name '(' (expr (',' expr)*)? ')'             # callExpr
  | expr '.' name                                       # fieldExpr
  | op='-' expr                                         # negateExpr
  | expr op=('*' | '/') expr                            # multiplyExpr
  | expr op=('+' | '-') expr                            # addExpr
  | expr op=('==' | '!=' | '<' | '<=' | '>' | '>=') expr # compareExpr
  | op='not' expr                                       # notExpr
  | expr op='and' expr                                  # andExpr
  | expr op='or' expr                                   # orExpr
  | literal                                             # literalExpr
  | name                                                # nameExpr
  ;

literal
  : INT                                                 # intLiteral
  | DECIMAL                                             # decimalLiteral
  | MONEY                                               # moneyLiteral
  | DURATION                                            # durationLiteral
  | STRING                                              # stringLiteral
  | value=('true' | 'false')                            # boolLiteral
  | 'none'                                              # noneLiteral
  ;

// Words that are keywords in one place but ordinary names in another
// (`profile.email`, a field called `event`).
name : IDENT | 'profile' | 'event' | 'segment' | 'module' ;

MONEY : DIGITS ('.' DIGITS)? ' '? [A-Z] [A-Z] [A-Z] ;
DURATION : DIGITS ('s' | 'm' | 'h' | 'd' | 'w') ;
DECIMAL : DIGITS '.' DIGITS ;
INT : DIGITS ;
STRING : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
IDENT : [a-zA-Z_] [a-zA-Z_0-9]* ;

fragment DIGITS : [0-9] ('_'? [0-9])* ;

LINE_COMMENT : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS : [ \t\r\n]+ -> channel(HIDDEN) ;

// Any other character becomes a token of its own, so the parser reports it
// with a position instead of the lexer dropping it.
UNEXPECTED : . ;
