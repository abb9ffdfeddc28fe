from typing import Callable


def build_row_mapper(fields: list[str], columns: dict[str, str]) -> Callable[[dict], dict]:
    """Compile customer-defined computed columns. columns maps output name -> formula over the names in
    fields (numbers, + - * / // %, unary +/-, parentheses, abs/round/min/max calls only). Return
    mapper(row) -> {output name: value}. Raise ValueError here for any formula outside that language."""
    import ast
    import operator

    binary = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
    unary = {ast.UAdd: operator.pos, ast.USub: operator.neg}
    functions = {"abs": abs, "round": round, "min": min, "max": max}
    known = set(fields)

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if type(node.value) not in (int, float):
                raise ValueError(f"unsupported literal {node.value!r}")
        elif isinstance(node, ast.Name):
            if node.id not in known:
                raise ValueError(f"unknown name {node.id!r}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in binary:
                raise ValueError("unsupported operator")
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in unary:
                raise ValueError("unsupported operator")
            check(node.operand)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in functions or node.keywords:
                raise ValueError("unsupported function call")
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    raise ValueError("unsupported argument")
                check(arg)
        else:
            raise ValueError(f"unsupported syntax: {type(node).__name__}")

    def evaluate(node: ast.AST, row: dict):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return row[node.id]
        if isinstance(node, ast.BinOp):
            return binary[type(node.op)](evaluate(node.left, row), evaluate(node.right, row))
        if isinstance(node, ast.UnaryOp):
            return unary[type(node.op)](evaluate(node.operand, row))
        return functions[node.func.id](*(evaluate(arg, row) for arg in node.args))

    compiled = {}
    for name, formula in columns.items():
        try:
            tree = ast.parse(formula, mode="eval")
        except SyntaxError as err:
            raise ValueError(f"column {name!r}: invalid formula") from err
        check(tree.body)
        compiled[name] = tree.body

    def mapper(row: dict) -> dict:
        return {name: evaluate(node, row) for name, node in compiled.items()}

    return mapper
